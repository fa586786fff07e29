package io.github.sdsat.bench;

import java.util.List;

/**
 * How an infilling task is laid out as model input, as text segments and sentinel markers; turning the markers
 * into the model's special token ids (e.g. CodeLlama's {@code <PRE>}, {@code <SUF>}, {@code <MID>}, or
 * SantaCoder's {@code <fim-prefix>}, {@code <fim-suffix>}, {@code <fim-middle>}) and the text into ids is the
 * tokenizer's job.
 *
 * <p>The paper's infilling runs use SPM order (suffix, then prefix), as in the santacoder-fim-task benchmark:
 *
 * <pre>{@code [PRE] [SUF] suffix [MID] prefix  -> the model generates the middle}</pre>
 *
 * The model's generation after the last prefix token is the middle; generation ends at the end-of-text or
 * end-of-infill token. PSM order ({@code [PRE] prefix [SUF] suffix [MID]}) is provided for models trained only
 * on it.
 */
public final class PromptLayout {

  private PromptLayout() {}

  /** A sentinel marker, to be mapped to the model's special token id. */
  public enum Sentinel {
    /** Start of the prefix part ({@code <PRE>}, {@code <fim-prefix>}). */
    PRE,
    /** Start of the suffix part ({@code <SUF>}, {@code <fim-suffix>}). */
    SUF,
    /** Start of the middle, after which the model generates ({@code <MID>}, {@code <fim-middle>}). */
    MID
  }

  /**
   * One piece of the layout: either a sentinel or text.
   *
   * @param sentinel the marker, or null for text
   * @param text the text, or null for a marker
   */
  public record Segment(Sentinel sentinel, String text) {
    public static Segment of(Sentinel sentinel) {
      return new Segment(sentinel, null);
    }

    public static Segment of(String text) {
      return new Segment(null, text);
    }

    public boolean isSentinel() {
      return sentinel != null;
    }
  }

  /** SPM order: {@code PRE, SUF, suffix, MID, prefix}; the model continues with the middle. */
  public static List<Segment> spm(String prefix, String suffix) {
    requireTexts(prefix, suffix);
    return List.of(
        Segment.of(Sentinel.PRE), Segment.of(Sentinel.SUF), Segment.of(suffix), Segment.of(Sentinel.MID),
        Segment.of(prefix));
  }

  /** PSM order: {@code PRE, prefix, SUF, suffix, MID}; the model continues with the middle. */
  public static List<Segment> psm(String prefix, String suffix) {
    requireTexts(prefix, suffix);
    return List.of(
        Segment.of(Sentinel.PRE), Segment.of(prefix), Segment.of(Sentinel.SUF), Segment.of(suffix),
        Segment.of(Sentinel.MID));
  }

  private static void requireTexts(String prefix, String suffix) {
    if (prefix == null || suffix == null) {
      throw new IllegalArgumentException(
          "Infilling layout needs a prefix and a suffix (either may be empty, neither null)");
    }
  }
}
