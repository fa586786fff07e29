package io.github.sdsat.model;

/**
 * Keeps DJL from reaching the network. DJL 0.36 reads both switches lazily, when an engine starts:
 *
 * <ul>
 *   <li>offline mode ({@code ai.djl.util.Utils.isOfflineMode}): the environment variable {@code DJL_OFFLINE},
 *       else the system property {@code ai.djl.offline}. When on, DJL downloads no native library or model and
 *       skips its usage telemetry.
 *   <li>telemetry ({@code ai.djl.util.Ec2Utils.callHome}, called when the PyTorch engine is created): skipped in
 *       offline mode or when {@code OPT_OUT_TRACKING} (environment variable, else system property) is true.
 * </ul>
 *
 * A JVM cannot change its own environment, so entry points that do not control how they were started (the Maven
 * plugin runs inside the user's Maven JVM) set the system properties before the first {@code Engine} call. An
 * explicit environment variable still wins, as DJL reads it first.
 */
public final class DjlOffline {
    /** System property DJL reads for offline mode when {@code DJL_OFFLINE} is not in the environment. */
    public static final String OFFLINE_PROPERTY = "ai.djl.offline";
    /** Name DJL reads, as environment variable then system property, to skip usage telemetry. */
    public static final String OPT_OUT_TRACKING = "OPT_OUT_TRACKING";

    private DjlOffline() {}

    /**
     * Turns offline mode and the telemetry opt-out on for this JVM. Must run before the first DJL engine is
     * created; later calls have no effect on an engine that already started.
     */
    public static void enable() {
        System.setProperty(OFFLINE_PROPERTY, "true");
        System.setProperty(OPT_OUT_TRACKING, "true");
    }
}
