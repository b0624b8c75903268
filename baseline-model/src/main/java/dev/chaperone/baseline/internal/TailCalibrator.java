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

  /**
   * The histograms of several calibrators side by side, one slice each: a baseline's calibrators
   * are all read at each of its events, and with a fleet of agents the baseline has mostly left the
   * CPU's caches by then. Separate arrays per calibrator cost a cache line for each array's header
   * (its length, for the bounds check) besides the line of the bin; shared arrays' headers are read
   * once per event.
   */
  public static final class Bank {
    private final long[] live;
    private final long[] frozen;
    private final double[] above;
    private int claimed;

    /** Room for {@code calibrators} calibrators. */
    public Bank(int calibrators) {
      live = new long[calibrators * BINS];
      frozen = new long[calibrators * BINS];
      above = new double[calibrators * (BINS + 1)];
    }
  }

  private final double low;
  // this calibrator's slices of its bank's arrays: bins [bins, bins + BINS) of live and frozen,
  // [cumulative, cumulative + BINS] of above
  private final long[] live;
  private final long[] frozen;
  private final int bins;
  private long liveTotal;
  private long frozenTotal;

  // derived from the frozen histogram, lazily
  private final double[] above;
  private final int cumulative;
  private double threshold;
  private double tailShare;
  private double beta;
  private boolean derived;
  private double derivedScale = Double.NaN;

  /** A calibrator in the next free slice of {@code bank}. */
  public TailCalibrator(double low, Bank bank) {
    if (bank.claimed * BINS >= bank.live.length) {
      throw new IllegalStateException("the bank is full");
    }
    this.low = low;
    this.live = bank.live;
    this.frozen = bank.frozen;
    this.above = bank.above;
    this.bins = bank.claimed * BINS;
    this.cumulative = bank.claimed * (BINS + 1);
    bank.claimed++;
  }

  public void accept(double x) {
    live[bins + bin(x)] += ONE;
    liveTotal += ONE;
  }

  /** Multiplies every live weight by {@code numerator/denominator}, in exact integer arithmetic. */
  public void age(long numerator, long denominator) {
    liveTotal = 0;
    for (int i = bins; i < bins + BINS; i++) {
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
    System.arraycopy(live, bins, frozen, bins, BINS);
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
    return sigmaOf(tailProbability(x, minSamples, minScale));
  }

  /**
   * The first half of {@link #sigma}: p(X ≥ x) under the frozen history, at least 1e-300, or -1
   * when it holds less than {@code minSamples} values. A baseline reads every signal's p before
   * turning any into a z ({@link #sigmaOf}): each p is a few loads and a few operations, so the CPU
   * fetches the calibrators' cache lines together instead of one after another between the
   * quantile's arithmetic; with a fleet of agents they are rarely in its caches.
   */
  public double tailProbability(double x, int minSamples, double minScale) {
    if (frozenTotal < (long) minSamples * ONE) {
      return -1;
    }
    if (!derived || derivedScale != minScale) {
      derive(minScale);
    }
    double p;
    if (x <= threshold) {
      double position = (x - low) / WIDTH;
      int b = Math.max(0, Math.min(BINS - 1, (int) Math.floor(position)));
      double fraction = Math.max(0, Math.min(1, position - b));
      double at = above[cumulative + b];
      double tail = at - (at - above[cumulative + b + 1]) * fraction;
      p = (tail + 0.5) / (frozenTotal / (double) ONE + 1);
    } else {
      p = tailShare * Math.exp(-(x - threshold) / beta);
    }
    return Math.max(p, 1e-300);
  }

  /** The second half of {@link #sigma}: the z of a {@link #tailProbability}, 0 for -1. */
  public static double sigmaOf(double tailProbability) {
    return tailProbability == -1 ? 0 : Normal.upperQuantile(tailProbability);
  }

  private void derive(double minScale) {
    double n = frozenTotal / (double) ONE;
    int c = cumulative;
    above[c + BINS] = 0;
    for (int b = BINS - 1; b >= 0; b--) {
      above[c + b] = above[c + b + 1] + frozen[bins + b] / (double) ONE;
    }
    tailShare = n >= DEEP_TAIL_SAMPLES ? DEEP_TAIL : TAIL;
    double target = tailShare * n;
    threshold = low + BINS * WIDTH;
    for (int b = BINS - 1; b >= 0; b--) {
      if (above[c + b] >= target) {
        double inBin = above[c + b] - above[c + b + 1];
        double fraction = inBin > 0 ? (above[c + b] - target) / inBin : 0;
        threshold = low + (b + fraction) * WIDTH;
        break;
      }
    }
    double excess = 0;
    double mass = 0;
    for (int b = 0; b < BINS; b++) {
      double mid = low + (b + 0.5) * WIDTH;
      if (mid > threshold) {
        double w = frozen[bins + b] / (double) ONE;
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
      live[bins + i] += other.live[other.bins + i];
      frozen[bins + i] += other.frozen[other.bins + i];
    }
    liveTotal += other.liveTotal;
    frozenTotal += other.frozenTotal;
    derived = false;
  }

  public void write(Varint.Writer out) {
    writeHistogram(out, live, bins);
    writeHistogram(out, frozen, bins);
  }

  public void read(Varint.Reader in) {
    liveTotal = readHistogram(in, live, bins);
    frozenTotal = readHistogram(in, frozen, bins);
    derived = false;
  }

  /**
   * Writes the occupied range of the bins from {@code offset} only: first bin, bin count, weights.
   */
  private static void writeHistogram(Varint.Writer out, long[] weights, int offset) {
    int first = 0;
    while (first < BINS && weights[offset + first] == 0) {
      first++;
    }
    int last = BINS - 1;
    while (last >= first && weights[offset + last] == 0) {
      last--;
    }
    out.writeVarInt(first).writeVarInt(last - first + 1);
    for (int i = first; i <= last; i++) {
      out.writeVarLong(weights[offset + i]);
    }
  }

  private static long readHistogram(Varint.Reader in, long[] weights, int offset) {
    Arrays.fill(weights, offset, offset + BINS, 0);
    int first = in.readVarInt();
    int length = in.readVarInt();
    if (first < 0 || length < 0 || first + length > BINS) {
      throw new IllegalArgumentException("calibration bins out of range: " + first + "+" + length);
    }
    long total = 0;
    for (int i = first; i < first + length; i++) {
      weights[offset + i] = in.readVarLong();
      total += weights[offset + i];
    }
    return total;
  }
}
