package dev.chaperone.baseline;

import java.util.Objects;

/**
 * One agent action as the baseline sees it: when, in which session, what kind, which tool on which
 * resource, and what class of content it published on which channel. Built by the caller from the
 * wire record; the model knows nothing of Kafka or Avro.
 *
 * @param timestampMs event time in epoch milliseconds (UTC)
 * @param sessionId the session, or null when the action belongs to none
 * @param actionType the action type symbol, never null
 * @param tool the tool invoked, never null
 * @param resource the target resource, or null
 * @param channel the output channel, or null when nothing was published
 * @param contentClass the output's content class, or null
 */
public record Observation(
    long timestampMs,
    String sessionId,
    String actionType,
    String tool,
    String resource,
    String channel,
    String contentClass) {

  public Observation {
    if (timestampMs < 0) {
      throw new IllegalArgumentException("timestampMs must be >= 0, was " + timestampMs);
    }
    Objects.requireNonNull(actionType, "actionType");
    Objects.requireNonNull(tool, "tool");
  }

  /** An action with no output. */
  public static Observation of(
      long timestampMs, String sessionId, String actionType, String tool, String resource) {
    return new Observation(timestampMs, sessionId, actionType, tool, resource, null, null);
  }

  /** The same action with an output of {@code contentClass} on {@code channel}. */
  public Observation withOutput(String channel, String contentClass) {
    return new Observation(
        timestampMs, sessionId, actionType, tool, resource, channel, contentClass);
  }

  /** The same action at another time. */
  public Observation at(long newTimestampMs) {
    return new Observation(
        newTimestampMs, sessionId, actionType, tool, resource, channel, contentClass);
  }

  /** The same action in another session. */
  public Observation inSession(String newSessionId) {
    return new Observation(
        timestampMs, newSessionId, actionType, tool, resource, channel, contentClass);
  }
}
