package dev.chaperone.baseline;

/**
 * One signal of one event.
 *
 * @param signal which signal
 * @param raw the raw value (nats, z-score or log ratio, see {@link Signal})
 * @param sigma calibrated deviation in standard deviations from the agent's normal; 0 when the
 *     signal lacks the data to say anything; never NaN
 * @param firstSeen whether the value was never seen in the window
 * @param explanation the signal in plain words and numbers
 */
public record SignalScore(
    Signal signal, double raw, double sigma, boolean firstSeen, String explanation) {}
