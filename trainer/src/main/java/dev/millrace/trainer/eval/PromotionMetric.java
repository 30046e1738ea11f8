package dev.millrace.trainer.eval;

import java.util.Locale;

/** The metric on which a challenger must beat the champion. Higher is better for all of them. */
public enum PromotionMetric {
  AVERAGE_PRECISION("average_precision"),
  ROC_AUC("roc_auc"),
  CARD_PRECISION_AT_K("card_precision_at_k");

  private final String key;

  PromotionMetric(String key) {
    this.key = key;
  }

  /** The key in metric maps, announcements and the training history. */
  public String key() {
    return key;
  }

  /** Parses a key or an enum name as users type it ({@code average_precision}, {@code ROC_AUC}). */
  public static PromotionMetric parse(String text) {
    if (text != null) {
      String clean = text.trim().toLowerCase(Locale.ROOT).replace('-', '_');
      for (PromotionMetric m : values()) {
        if (m.key.equals(clean) || m.name().toLowerCase(Locale.ROOT).equals(clean)) {
          return m;
        }
      }
    }
    throw new IllegalArgumentException(
        "unknown promotion metric '"
            + text
            + "': expected average_precision, roc_auc or card_precision_at_k");
  }
}
