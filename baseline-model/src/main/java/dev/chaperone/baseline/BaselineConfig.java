package dev.chaperone.baseline;

/**
 * Settings of the baseline model. Immutable; {@code with…} methods return changed copies.
 *
 * @param windowDays length of the rolling window in UTC days, 1 to 90 (default 30)
 * @param smoothing additive (Lidstone) smoothing of every categorical probability (default 0.1)
 * @param warmupDays days with activity an agent needs before its own baseline is trusted (default
 *     7)
 * @param warmupEvents events an agent needs before its own baseline is trusted (default 200)
 * @param eventThresholdSigma event score at which an event alerts and is held out of learning
 *     (default 4)
 * @param sessionThresholdSigma session score at which a session alerts (default 4)
 * @param minCalibrationSamples history a signal needs before it is calibrated; below it the signal
 *     scores 0 (default 50)
 * @param minSigmaNats floor of a surprise signal's standard deviation, so a perfectly regular agent
 *     is held to its regularity without dividing by almost nothing (default 0.25 nats)
 * @param maxEncodedBytes hard cap of one encoded baseline (default 64 KiB)
 * @param quarantineCapacity most events held out of learning at once (default 64)
 * @param noveltyDailyShare most a key first seen in the last {@code driftDays} may learn per day,
 *     as a share of the agent's mean daily events (default 0.05, at least 5 events): the
 *     slow-poisoning guard
 * @param driftDays the recent part of the window the drift signal compares with the rest (default
 *     3)
 */
public record BaselineConfig(
    int windowDays,
    double smoothing,
    int warmupDays,
    long warmupEvents,
    double eventThresholdSigma,
    double sessionThresholdSigma,
    int minCalibrationSamples,
    double minSigmaNats,
    int maxEncodedBytes,
    int quarantineCapacity,
    double noveltyDailyShare,
    int driftDays) {

  public static final int MAX_WINDOW_DAYS = 90;

  public BaselineConfig {
    if (windowDays < 1 || windowDays > MAX_WINDOW_DAYS) {
      throw new IllegalArgumentException("windowDays must be in [1, 90], was " + windowDays);
    }
    if (!(smoothing > 0)) {
      throw new IllegalArgumentException("smoothing must be > 0, was " + smoothing);
    }
    if (warmupDays < 0 || warmupEvents < 0) {
      throw new IllegalArgumentException(
          "warm-up must be >= 0, was " + warmupDays + " days, " + warmupEvents + " events");
    }
    if (!(eventThresholdSigma > 0) || !(sessionThresholdSigma > 0)) {
      throw new IllegalArgumentException(
          "thresholds must be > 0, were " + eventThresholdSigma + ", " + sessionThresholdSigma);
    }
    if (minCalibrationSamples < 2) {
      throw new IllegalArgumentException(
          "minCalibrationSamples must be >= 2, was " + minCalibrationSamples);
    }
    if (!(minSigmaNats > 0)) {
      throw new IllegalArgumentException("minSigmaNats must be > 0, was " + minSigmaNats);
    }
    if (maxEncodedBytes < 4096) {
      throw new IllegalArgumentException("maxEncodedBytes must be >= 4096, was " + maxEncodedBytes);
    }
    if (quarantineCapacity < 0) {
      throw new IllegalArgumentException(
          "quarantineCapacity must be >= 0, was " + quarantineCapacity);
    }
    if (!(noveltyDailyShare > 0) || noveltyDailyShare > 1) {
      throw new IllegalArgumentException(
          "noveltyDailyShare must be in (0, 1], was " + noveltyDailyShare);
    }
    if (driftDays < 1 || driftDays >= windowDays && windowDays > 1) {
      throw new IllegalArgumentException("driftDays must be in [1, windowDays), was " + driftDays);
    }
  }

  /** The defaults. */
  public static BaselineConfig defaults() {
    return new BaselineConfig(30, 0.1, 7, 200, 4.0, 4.0, 50, 0.25, 64 * 1024, 64, 0.05, 3);
  }

  public BaselineConfig withWindowDays(int days) {
    return new BaselineConfig(
        days,
        smoothing,
        warmupDays,
        warmupEvents,
        eventThresholdSigma,
        sessionThresholdSigma,
        minCalibrationSamples,
        minSigmaNats,
        maxEncodedBytes,
        quarantineCapacity,
        noveltyDailyShare,
        Math.min(driftDays, Math.max(1, days - 1)));
  }

  public BaselineConfig withWarmup(int days, long events) {
    return new BaselineConfig(
        windowDays,
        smoothing,
        days,
        events,
        eventThresholdSigma,
        sessionThresholdSigma,
        minCalibrationSamples,
        minSigmaNats,
        maxEncodedBytes,
        quarantineCapacity,
        noveltyDailyShare,
        driftDays);
  }

  public BaselineConfig withThresholds(double event, double session) {
    return new BaselineConfig(
        windowDays,
        smoothing,
        warmupDays,
        warmupEvents,
        event,
        session,
        minCalibrationSamples,
        minSigmaNats,
        maxEncodedBytes,
        quarantineCapacity,
        noveltyDailyShare,
        driftDays);
  }

  public BaselineConfig withMaxEncodedBytes(int bytes) {
    return new BaselineConfig(
        windowDays,
        smoothing,
        warmupDays,
        warmupEvents,
        eventThresholdSigma,
        sessionThresholdSigma,
        minCalibrationSamples,
        minSigmaNats,
        bytes,
        quarantineCapacity,
        noveltyDailyShare,
        driftDays);
  }
}
