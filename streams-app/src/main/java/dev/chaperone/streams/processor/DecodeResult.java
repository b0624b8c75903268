package dev.chaperone.streams.processor;

import dev.chaperone.schema.AgentAction;
import dev.chaperone.schema.DeadLetter;

/** What decoding one input record gave: a valid action or a dead letter, never both. */
public record DecodeResult(AgentAction action, DeadLetter deadLetter) {

  public static DecodeResult valid(AgentAction action) {
    return new DecodeResult(action, null);
  }

  public static DecodeResult rejected(DeadLetter deadLetter) {
    return new DecodeResult(null, deadLetter);
  }

  public boolean isValid() {
    return action != null;
  }
}
