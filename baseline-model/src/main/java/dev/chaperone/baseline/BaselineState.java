package dev.chaperone.baseline;

/** How much an event's score can be trusted. */
public enum BaselineState {
  /** Scored against the agent's own baseline, which has enough history. */
  BASELINED,
  /** The agent is warming up; scored against its peer cohort's baseline. */
  WARMING_UP,
  /** The agent is warming up and no cohort has enough history: the score says nothing yet. */
  UNBASELINED
}
