package dev.chaperone.baseline;

/**
 * The signals an event is scored on. Each has a raw value (a surprise in nats, −ln of a smoothed
 * probability, unless stated otherwise) and a calibrated value in standard deviations from the
 * agent's own history of that signal.
 */
public enum Signal {
  /** Surprise of the action type. */
  ACTION_TYPE("action type"),
  /** Surprise of the tool. */
  TOOL("tool"),
  /** Surprise of the exact (tool, resource) pair. */
  RESOURCE("resource"),
  /** Surprise of the (tool, generalised resource) pair: ids folded to a placeholder. */
  RESOURCE_FAMILY("resource family"),
  /** Surprise of the transition from the session's previous tool to this one. */
  TRANSITION("transition"),
  /** Surprise of the hour of the week (168 bins, UTC). */
  HOUR_OF_WEEK("hour of week"),
  /** Surprise of the content class given the output channel. */
  CONTENT_CLASS("content class"),
  /** Z-score of this hour's action count against the agent's active hours (not a surprise). */
  RATE("rate"),
  /**
   * Surprise of the position within the session (log2 bins), i.e. of the session's length so far.
   */
  SESSION_LENGTH("session length"),
  /**
   * Two-proportion z-score of the tool's or resource family's share in the last days against its
   * share in the rest of the window, deflated for session clustering: slow drift towards a
   * behaviour. A z-score already, so not calibrated further (like {@link #RATE}).
   */
  DRIFT("drift");

  private final String label;

  Signal(String label) {
    this.label = label;
  }

  /** Lower-case words for explanations and metric tags. */
  public String label() {
    return label;
  }
}
