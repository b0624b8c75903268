package dev.chaperone.baseline.internal;

/**
 * Calibrates one signal against the agent's own history of it: a value becomes z = Φ⁻¹(1 − p), with
 * p the probability of a value at least this high in that history. So a signal that is often high
 * for this agent (a noisy agent) scores low, and one that never is (a regular agent) scores high.
 *
 * <p>The history is a histogram of {@value #BINS} bins of {@value #WIDTH} over [{@code low}, low +
 * 16], in fixed-point weights (1/16) so that encoding is exact. Where the histogram holds at least
 * 5% of the weight above a value, p is read from it (linear within a bin). Above the 95th
 * percentile the tail is extrapolated as exponential (peaks over threshold with a generalised
 * Pareto of shape 0): p = 0.05·exp(−(x − x₉₅)/β), β the mean excess over x₉₅, floored at {@code
 * minScale}. The tail fit is what lets a value never seen before score beyond the few σ a histogram
 * of n values can show. Weights forget at the window's pace ({@link #age}). Not thread-safe.
 */
public final class TailCalibrator {

  public static final int BINS = 64;
  public static final double WIDTH = 0.25;
  static final long ONE = 16;
  private static final double TAIL = 0.05;
  private static final double DEEP_TAIL = 0.01;
  private static final double DEEP_TAIL_SAMPLES = 2_000;

  private final double low;
  private final long[] weights = new long[BINS];
  private long total;

  // refreshed lazily
  private final double[] above = new double[BINS + 1];
  private double threshold;
  private double tailShare;
  private double beta;
  private long refreshedAt = -1;

  public TailCalibrator(double low) {
    this.low = low;
  }

  public void accept(double x) {
    weights[bin(x)] += ONE;
    total += ONE;
  }

  /** Multiplies every weight by {@code numerator/denominator}, in exact integer arithmetic. */
  public void age(long numerator, long denominator) {
    total = 0;
    for (int i = 0; i < BINS; i++) {
      weights[i] = weights[i] * numerator / denominator;
      total += weights[i];
    }
    refreshedAt = -1;
  }

  /** The history's weight in values (fractional after ageing). */
  public double weight() {
    return (double) total / ONE;
  }

  /**
   * z = Φ⁻¹(1 − p(X ≥ x)) under this history; 0 when the history has less than {@code minSamples}
   * values.
   */
  public double sigma(double x, int minSamples, double minScale) {
    if (total < (long) minSamples * ONE) {
      return 0;
    }
    refresh(minScale);
    double p;
    double position = (x - low) / WIDTH;
    if (x <= threshold) {
      int b = Math.max(0, Math.min(BINS - 1, (int) Math.floor(position)));
      double fraction = Math.max(0, Math.min(1, position - b));
      double tail = above[b] - (above[b] - above[b + 1]) * fraction;
      p = (tail + 0.5) / (total / (double) ONE + 1);
    } else {
      p = tailShare * Math.exp(-(x - threshold) / beta);
    }
    return Normal.upperQuantile(Math.max(p, 1e-300));
  }

  private void refresh(double minScale) {
    if (refreshedAt == total) {
      return;
    }
    double n = total / (double) ONE;
    above[BINS] = 0;
    for (int b = BINS - 1; b >= 0; b--) {
      above[b] = above[b + 1] + weights[b] / (double) ONE;
    }
    // the threshold: the value above which 5% of the weight lies (1% once the history is long
    // enough to fit the deeper tail), linear within the bin
    tailShare = n >= DEEP_TAIL_SAMPLES ? DEEP_TAIL : TAIL;
    double target = tailShare * n;
    threshold = low + BINS * WIDTH;
    for (int b = BINS - 1; b >= 0; b--) {
      if (above[b] >= target) {
        double inBin = above[b] - above[b + 1];
        double fraction = inBin > 0 ? (above[b] - target) / inBin : 0;
        threshold = low + (b + fraction) * WIDTH;
        break;
      }
    }
    // mean excess over x95 from bin midpoints
    double excess = 0;
    double mass = 0;
    for (int b = 0; b < BINS; b++) {
      double mid = low + (b + 0.5) * WIDTH;
      if (mid > threshold) {
        double w = weights[b] / (double) ONE;
        excess += w * (mid - threshold);
        mass += w;
      }
    }
    beta = Math.max(minScale, mass > 0 ? excess / mass : minScale);
    refreshedAt = total;
  }

  private int bin(double x) {
    double position = (x - low) / WIDTH;
    if (!(position >= 0)) {
      return 0;
    }
    return (int) Math.min(BINS - 1, position);
  }

  public void combine(TailCalibrator other) {
    for (int i = 0; i < BINS; i++) {
      weights[i] += other.weights[i];
    }
    total += other.total;
    refreshedAt = -1;
  }

  /** Writes the occupied range of bins only: first bin, bin count, weights. */
  public void write(Varint.Writer out) {
    int first = 0;
    while (first < BINS && weights[first] == 0) {
      first++;
    }
    int last = BINS - 1;
    while (last >= first && weights[last] == 0) {
      last--;
    }
    out.writeVarInt(first).writeVarInt(last - first + 1);
    for (int i = first; i <= last; i++) {
      out.writeVarLong(weights[i]);
    }
  }

  public void read(Varint.Reader in) {
    java.util.Arrays.fill(weights, 0);
    total = 0;
    int first = in.readVarInt();
    int length = in.readVarInt();
    if (first + length > BINS) {
      throw new IllegalArgumentException("calibration bins out of range: " + first + "+" + length);
    }
    for (int i = first; i < first + length; i++) {
      weights[i] = in.readVarLong();
      total += weights[i];
    }
    refreshedAt = -1;
  }
}
