package dev.chaperone.baseline.internal;

import java.util.Arrays;

/**
 * Calibrates one signal against the agent's own history of it: a value becomes z = Φ⁻¹(1 − p), with
 * p the probability of a value at least this high in that history. So a signal that is often high
 * for this agent (a noisy agent) scores low, and one that never is (a regular agent) scores high.
 *
 * <p>The history is a histogram of {@value #BINS} bins of {@value #WIDTH} over [{@code low}, low +
 * 16], in fixed-point weights (1/16) so that encoding is exact. Where the histogram holds enough
 * weight above a value, p is read from it (linear within a bin). Above a threshold — the 95th
 * percentile, or the 99th once the history holds 2,000 values — the tail is extrapolated as
 * exponential (peaks over threshold with a generalised Pareto of shape 0): p = s·exp(−(x − u)/β), s
 * the share above the threshold u, β the mean excess over u, floored at {@code minScale}. The tail
 * fit is what lets a value never seen before score beyond the few σ a histogram of n values can
 * show.
 *
 * <p>Scores are read from the history as it stood at the last {@link #freeze()} (the baseline
 * freezes at every day roll): today's events never calibrate today's scores, and the scores are a
 * function of encoded state alone, so a restored baseline scores exactly as the original would.
 * Weights forget at the window's pace ({@link #age}). Not thread-safe.
 */
public final class TailCalibrator {

  public static final int BINS = 64;
  public static final double WIDTH = 0.25;
  static final long ONE = 16;
  private static final double TAIL = 0.05;
  private static final double DEEP_TAIL = 0.01;
  private static final double DEEP_TAIL_SAMPLES = 2_000;

  private final double low;
  private final long[] live = new long[BINS];
  private long liveTotal;
  private final long[] frozen = new long[BINS];
  private long frozenTotal;

  // derived from the frozen histogram, lazily
  private final double[] above = new double[BINS + 1];
  private double threshold;
  private double tailShare;
  private double beta;
  private boolean derived;
  private double derivedScale = Double.NaN;

  public TailCalibrator(double low) {
    this.low = low;
  }

  public void accept(double x) {
    live[bin(x)] += ONE;
    liveTotal += ONE;
  }

  /** Multiplies every live weight by {@code numerator/denominator}, in exact integer arithmetic. */
  public void age(long numerator, long denominator) {
    liveTotal = 0;
    for (int i = 0; i < BINS; i++) {
      live[i] = live[i] * numerator / denominator;
      liveTotal += live[i];
    }
  }

  /**
   * Makes the live history the one scores are read from. Derives the tail at once for the scale it
   * was last asked for, while the histogram just copied is in the CPU's caches: a baseline freezes
   * when it learns an event of a new day, and its next score comes an event of that agent later,
   * when the histogram may no longer be there. The same numbers either way (a score asking for
   * another scale derives again), and about as many derivations: nearly every calibrator is read
   * before its next freeze.
   */
  public void freeze() {
    System.arraycopy(live, 0, frozen, 0, BINS);
    frozenTotal = liveTotal;
    derived = false;
    if (!Double.isNaN(derivedScale)) {
      derive(derivedScale);
    }
  }

  /** The weight, in values, of the history scores are read from. */
  public double weight() {
    return (double) frozenTotal / ONE;
  }

  /**
   * z = Φ⁻¹(1 − p(X ≥ x)) under the frozen history; 0 when it holds less than {@code minSamples}
   * values.
   */
  public double sigma(double x, int minSamples, double minScale) {
    if (frozenTotal < (long) minSamples * ONE) {
      return 0;
    }
    if (!derived || derivedScale != minScale) {
      derive(minScale);
    }
    double p;
    if (x <= threshold) {
      double position = (x - low) / WIDTH;
      int b = Math.max(0, Math.min(BINS - 1, (int) Math.floor(position)));
      double fraction = Math.max(0, Math.min(1, position - b));
      double tail = above[b] - (above[b] - above[b + 1]) * fraction;
      p = (tail + 0.5) / (frozenTotal / (double) ONE + 1);
    } else {
      p = tailShare * Math.exp(-(x - threshold) / beta);
    }
    return Normal.upperQuantile(Math.max(p, 1e-300));
  }

  private void derive(double minScale) {
    double n = frozenTotal / (double) ONE;
    above[BINS] = 0;
    for (int b = BINS - 1; b >= 0; b--) {
      above[b] = above[b + 1] + frozen[b] / (double) ONE;
    }
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
    double excess = 0;
    double mass = 0;
    for (int b = 0; b < BINS; b++) {
      double mid = low + (b + 0.5) * WIDTH;
      if (mid > threshold) {
        double w = frozen[b] / (double) ONE;
        excess += w * (mid - threshold);
        mass += w;
      }
    }
    beta = Math.max(minScale, mass > 0 ? excess / mass : minScale);
    derived = true;
    derivedScale = minScale;
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
      live[i] += other.live[i];
      frozen[i] += other.frozen[i];
    }
    liveTotal += other.liveTotal;
    frozenTotal += other.frozenTotal;
    derived = false;
  }

  public void write(Varint.Writer out) {
    writeHistogram(out, live);
    writeHistogram(out, frozen);
  }

  public void read(Varint.Reader in) {
    liveTotal = readHistogram(in, live);
    frozenTotal = readHistogram(in, frozen);
    derived = false;
  }

  /** Writes the occupied range of bins only: first bin, bin count, weights. */
  private static void writeHistogram(Varint.Writer out, long[] weights) {
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

  private static long readHistogram(Varint.Reader in, long[] weights) {
    Arrays.fill(weights, 0);
    int first = in.readVarInt();
    int length = in.readVarInt();
    if (first < 0 || length < 0 || first + length > BINS) {
      throw new IllegalArgumentException("calibration bins out of range: " + first + "+" + length);
    }
    long total = 0;
    for (int i = first; i < first + length; i++) {
      weights[i] = in.readVarLong();
      total += weights[i];
    }
    return total;
  }
}
