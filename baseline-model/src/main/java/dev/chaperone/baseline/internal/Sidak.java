package dev.chaperone.baseline.internal;

import org.apache.commons.math3.distribution.NormalDistribution;

/**
 * The maximum of k standard-normal z-scores, corrected for having looked at k of them (Šidák): p =
 * 1 − Φ(z), p' = 1 − (1 − p)ᵏ, z' = Φ⁻¹(1 − p'). Tabulated at class load for k ≤ {@link #MAX_K} and
 * z in [0, 12] every 0.005, read with linear interpolation (error below 1e-4σ); past 12σ the tail
 * approximation z' = √(z² − 2 ln k) is used, which is exact to 1e-3σ there. Thread-safe.
 */
public final class Sidak {

  public static final int MAX_K = 16;
  private static final double STEP = 0.005;
  private static final double Z_MAX = 12.0;
  private static final int POINTS = (int) Math.round(Z_MAX / STEP) + 1;
  private static final double[][] TABLE = new double[MAX_K + 1][POINTS];

  static {
    NormalDistribution normal = new NormalDistribution(null, 0, 1);
    for (int k = 1; k <= MAX_K; k++) {
      for (int i = 0; i < POINTS; i++) {
        double z = i * STEP;
        double p = normal.cumulativeProbability(-z);
        double adjusted = -Math.expm1(k * Math.log1p(-p));
        double value =
            adjusted >= 1 ? 0 : -normal.inverseCumulativeProbability(Math.max(adjusted, 1e-300));
        TABLE[k][i] = Math.max(0, value);
      }
    }
  }

  private Sidak() {}

  /** The corrected score of a maximum {@code z} over {@code k} signals; 0 for z ≤ 0. */
  public static double correct(double z, int k) {
    if (!(z > 0)) {
      return 0;
    }
    int kk = Math.min(Math.max(k, 1), MAX_K);
    if (z >= Z_MAX) {
      return Math.sqrt(Math.max(0, z * z - 2 * Math.log(kk)));
    }
    double position = z / STEP;
    int i = (int) position;
    double fraction = position - i;
    double[] row = TABLE[kk];
    return row[i] + (row[Math.min(i + 1, POINTS - 1)] - row[i]) * fraction;
  }
}
