package dev.millrace.scorer.model;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import dev.millrace.schemas.ModelAnnouncement;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The reference distribution of a model's inputs and output, kept in its manifest so that the job
 * can measure drift (population stability index) against it: per feature (on the training data) and
 * for the score (on the evaluation slice), quantile bin edges and the fraction of rows per bin.
 *
 * @param features feature name to its bins; find them by name, the order is not kept (the manifest
 *     writes map entries sorted by key)
 * @param score the bins of the model's score
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record DriftReference(Map<String, Bins> features, Bins score) {

  /** Default number of quantile bins. */
  public static final int DEFAULT_BINS = 10;

  public DriftReference {
    features =
        features == null
            ? Map.of()
            : java.util.Collections.unmodifiableMap(new LinkedHashMap<>(features));
  }

  /**
   * Bins of one value: {@code edges} are the ascending inner cut points (a value {@code x} falls
   * into bin {@code i} = number of edges {@code <= x}), so there are {@code edges.size() + 1} bins,
   * with the fraction of reference rows in each, and {@code from}, the event time of the earliest
   * row counted (null when unknown: references made before it was kept). The drift monitor compares
   * a feature that needs a warm-up only when {@code from} lies past it.
   */
  @JsonIgnoreProperties(ignoreUnknown = true)
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Bins(List<Double> edges, List<Double> fractions, Instant from) {

    /** Bins whose rows' time is unknown. */
    public Bins(List<Double> edges, List<Double> fractions) {
      this(edges, fractions, null);
    }

    /** These bins, counted from rows since {@code from}. */
    public Bins since(Instant from) {
      return new Bins(edges, fractions, from);
    }

    public Bins {
      edges = List.copyOf(edges);
      fractions = List.copyOf(fractions);
      if (fractions.size() != edges.size() + 1) {
        throw new IllegalArgumentException(
            fractions.size() + " fractions for " + edges.size() + " edges");
      }
      for (int i = 1; i < edges.size(); i++) {
        if (!(edges.get(i) > edges.get(i - 1))) {
          throw new IllegalArgumentException("edges must be strictly ascending: " + edges);
        }
      }
    }

    /** Significant digits of the edges. */
    public static final int EDGE_DIGITS = 3;

    static double round(double x) {
      if (x == 0 || !Double.isFinite(x)) {
        return x;
      }
      return new java.math.BigDecimal(x)
          .round(new java.math.MathContext(EDGE_DIGITS, java.math.RoundingMode.HALF_EVEN))
          .doubleValue();
    }

    /** Number of bins. */
    public int size() {
      return fractions.size();
    }

    /** The bin of {@code x} (NaN falls into the first bin). */
    public int bin(double x) {
      int lo = 0;
      int hi = edges.size();
      while (lo < hi) { // first edge > x
        int mid = (lo + hi) >>> 1;
        if (edges.get(mid) <= x) {
          lo = mid + 1;
        } else {
          hi = mid;
        }
      }
      return lo;
    }

    /**
     * Quantile bins of {@code values}: the edges are the distinct values at the quantiles {@code
     * 1/bins .. (bins-1)/bins}, rounded to {@link #EDGE_DIGITS} significant digits (ties collapse,
     * so a binary feature gets two bins, and a near-constant score, whose values differ only in
     * floating-point noise, one), and the fractions are counted with {@link #bin}.
     */
    public static Bins of(double[] values, int bins) {
      if (bins < 2) {
        throw new IllegalArgumentException("bins must be at least 2");
      }
      if (values.length == 0) {
        return new Bins(List.of(), List.of(1.0));
      }
      double[] sorted = values.clone();
      for (int i = 0; i < sorted.length; i++) {
        if (Double.isNaN(sorted[i])) {
          sorted[i] = Double.NEGATIVE_INFINITY;
        }
      }
      Arrays.sort(sorted);
      List<Double> edges = new ArrayList<>();
      for (int q = 1; q < bins; q++) {
        double edge =
            round(sorted[(int) Math.min(sorted.length - 1, (long) q * sorted.length / bins)]);
        if (edge > sorted[0]
            && Double.isFinite(edge)
            && (edges.isEmpty() || edge > edges.get(edges.size() - 1))) {
          edges.add(edge);
        }
      }
      Bins shape =
          new Bins(edges, new ArrayList<>(java.util.Collections.nCopies(edges.size() + 1, 0.0)));
      long[] counts = new long[shape.size()];
      for (double v : values) {
        counts[shape.bin(v)]++;
      }
      List<Double> fractions = new ArrayList<>();
      for (long c : counts) {
        fractions.add(c / (double) values.length);
      }
      return new Bins(edges, fractions);
    }
  }

  /**
   * The reference of a model: quantile bins of every feature column of {@code rows} (the training
   * data, in {@code names} order) and of {@code scores} (the model's scores on its evaluation
   * slice).
   */
  public static DriftReference compute(
      List<String> names, float[][] rows, float[] scores, int bins) {
    Map<String, Bins> features = new LinkedHashMap<>();
    for (int f = 0; f < names.size(); f++) {
      double[] column = new double[rows.length];
      for (int r = 0; r < rows.length; r++) {
        column[r] = rows[r][f];
      }
      features.put(names.get(f), Bins.of(column, bins));
    }
    double[] s = new double[scores.length];
    for (int i = 0; i < scores.length; i++) {
      s[i] = scores[i];
    }
    return new DriftReference(features, Bins.of(s, bins));
  }

  /**
   * The reference of a model, each value counted only over the rows where it is complete: a
   * feature's bins over the rows of {@code rows} at least its warm-up ({@link
   * dev.millrace.scorer.FeatureSchema#warmUp}) after {@code dataStart} (the earliest event time the
   * trainer has seen, so no earlier than the stream's start), when at least {@code minRows} such
   * rows exist (else over all rows); the score's bins likewise over {@code scores} with the longest
   * warm-up. Each {@link Bins#from()} says where its rows start, so the job can check it against
   * the stream's own start.
   *
   * @param rowTimes event time (epoch ms, ascending) of each row of {@code rows}
   * @param scoreTimes event time (epoch ms, ascending) of each score
   * @param dataStart the earliest event time (epoch ms) of the data the rows come from
   */
  public static DriftReference compute(
      dev.millrace.scorer.FeatureSchema schema,
      float[][] rows,
      long[] rowTimes,
      float[] scores,
      long[] scoreTimes,
      long dataStart,
      int bins,
      int minRows) {
    List<String> names = schema.names();
    if (rows.length != rowTimes.length || scores.length != scoreTimes.length) {
      throw new IllegalArgumentException("values and times differ in length");
    }
    Map<String, Bins> features = new LinkedHashMap<>();
    for (int f = 0; f < names.size(); f++) {
      int first = firstComplete(rowTimes, dataStart, schema.warmUp(names.get(f)), minRows);
      double[] column = new double[rows.length - first];
      for (int r = first; r < rows.length; r++) {
        column[r - first] = rows[r][f];
      }
      features.put(
          names.get(f),
          Bins.of(column, bins).since(first < rowTimes.length ? instant(rowTimes[first]) : null));
    }
    int first = firstComplete(scoreTimes, dataStart, schema.longestWarmUp(), minRows);
    double[] s = new double[scores.length - first];
    for (int i = first; i < scores.length; i++) {
      s[i - first] = scores[i];
    }
    return new DriftReference(
        features,
        Bins.of(s, bins).since(first < scoreTimes.length ? instant(scoreTimes[first]) : null));
  }

  /** Index of the first time at least {@code warmUp} after {@code start}; 0 if too few follow. */
  private static int firstComplete(long[] times, long start, Duration warmUp, int minRows) {
    if (warmUp.isZero() || times.length == 0) {
      return 0;
    }
    long from = start + warmUp.toMillis();
    int lo = 0;
    int hi = times.length;
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (times[mid] < from) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return times.length - lo >= minRows ? lo : 0;
  }

  private static Instant instant(long millis) {
    return Instant.ofEpochMilli(millis);
  }

  /**
   * The reference in the manifest of the announced bundle, after checking the bundle's SHA-256
   * against the announcement; empty when the bundle has none (made before references existed).
   *
   * @throws IOException when the bundle cannot be read or its checksum does not match
   */
  public static Optional<DriftReference> of(ModelAnnouncement announcement) throws IOException {
    URI uri = URI.create(String.valueOf(announcement.getArtifactUri()));
    byte[] bytes;
    try (InputStream in = ModelStore.openUri(uri)) {
      bytes = in.readAllBytes();
    }
    String sha = ModelBundle.sha256(bytes);
    if (!sha.equalsIgnoreCase(String.valueOf(announcement.getSha256()).trim())) {
      throw new IOException(
          "SHA-256 of " + uri + " is " + sha + ", announced " + announcement.getSha256());
    }
    return Optional.ofNullable(ModelBundle.fromBytes(bytes).manifest().driftReference());
  }

  /** This reference as JSON (the manifest's format). */
  public String toJson() {
    try {
      return ModelBundle.json().writeValueAsString(this);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Parses {@link #toJson()}. */
  public static DriftReference fromJson(String json) throws IOException {
    return ModelBundle.json().readValue(json, DriftReference.class);
  }
}
