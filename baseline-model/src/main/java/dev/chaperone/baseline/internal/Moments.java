package dev.chaperone.baseline.internal;

/**
 * Running mean and variance (Welford) with forgetting: {@link #age(double)} scales the weight of
 * all past values, so the moments follow the rolling window without storing values. Combines with
 * Chan et al.'s parallel formula. Not thread-safe.
 *
 * <p>mean = Σwᵢxᵢ / Σwᵢ, variance = Σwᵢ(xᵢ − mean)² / Σwᵢ.
 */
public final class Moments {

  private double weight;
  private double mean;
  private double m2;

  public Moments() {}

  public Moments(double weight, double mean, double m2) {
    this.weight = weight;
    this.mean = mean;
    this.m2 = m2;
  }

  public void accept(double x) {
    weight += 1;
    double delta = x - mean;
    mean += delta / weight;
    m2 += delta * (x - mean);
  }

  /** Multiplies the weight of every value seen so far by {@code factor} in (0, 1]. */
  public void age(double factor) {
    weight *= factor;
    m2 *= factor;
  }

  public void combine(Moments other) {
    if (other.weight == 0) {
      return;
    }
    if (weight == 0) {
      weight = other.weight;
      mean = other.mean;
      m2 = other.m2;
      return;
    }
    double total = weight + other.weight;
    double delta = other.mean - mean;
    mean += delta * other.weight / total;
    m2 += other.m2 + delta * delta * weight * other.weight / total;
    weight = total;
  }

  public double weight() {
    return weight;
  }

  public double mean() {
    return mean;
  }

  public double m2() {
    return m2;
  }

  /** Population standard deviation; 0 with no data. */
  public double standardDeviation() {
    return weight > 0 ? Math.sqrt(Math.max(0, m2 / weight)) : 0;
  }
}
