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
     * System property that lets DJL download native libraries (the CUDA build of libtorch on first start, into
     * {@code ~/.djl.ai}): the one explicit opt-in to network access. Telemetry stays off even then.
     */
    public static final String ALLOW_DOWNLOADS = "sdsat.allowDownloads";

    /**
     * Turns offline mode and the telemetry opt-out on for this JVM; with {@code -Dsdsat.allowDownloads=true} only the
     * telemetry opt-out (DJL may then download the CUDA libtorch it needs, once). Must run before the first DJL
     * engine is created; later calls have no effect on an engine that already started. An environment variable
     * {@code DJL_OFFLINE=true} still wins over the opt-in, as DJL reads it first.
     */
    public static void enable() {
        if (!Boolean.getBoolean(ALLOW_DOWNLOADS)) {
            System.setProperty(OFFLINE_PROPERTY, "true");
        } else {
            System.clearProperty(OFFLINE_PROPERTY);
        }
        System.setProperty(OPT_OUT_TRACKING, "true");
    }
}
