package dev.chaperone.baseline.internal;

/**
 * The categorical features a baseline counts. A key's id carries its feature in the low 4 bits, so
 * closed day buckets need no per-entry feature tag.
 */
public enum Feature {
  ACTION_TYPE(32, true),
  TOOL(128, true),
  /** Exact (tool, resource) pair. */
  PAIR(1024, false),
  /** (tool, generalised resource) pair. */
  PAIR_GENERAL(256, true),
  /** previous tool → tool within a session. */
  TRANSITION(512, false),
  CHANNEL(32, true),
  /** (channel, content class). */
  CONTENT(128, true),
  /** log2 bin of the position within the session. */
  SESSION_POSITION(32, false);

  public static final Feature[] ALL = values();
  public static final int BITS = 4;

  private final int cap;
  private final boolean named;

  Feature(int cap, boolean named) {
    this.cap = cap;
    this.named = named;
  }

  /** Most distinct keys kept; past it the least used quarter is evicted. */
  public int cap() {
    return cap;
  }

  /** Whether keys keep a readable name for explanations. */
  public boolean named() {
    return named;
  }

  /**
   * Whether the baseline keeps this feature's counts over the last days (for the drift signal and
   * the novelty cap). Exact resources and session positions do not: resources are watched through
   * their family, which keeps the recent counts small.
   */
  public boolean tracksRecent() {
    return this != PAIR && this != SESSION_POSITION;
  }

  public static Feature of(int id) {
    return ALL[id & ((1 << BITS) - 1)];
  }
}
