package dev.chaperone.alerting;

import dev.chaperone.baseline.SignalScore;
import java.util.List;
import java.util.Objects;

/**
 * One rule firing on one event, before it becomes an {@code Alert}.
 *
 * @param rule the rule
 * @param detail what is wrong, in words and numbers
 * @param hopIndex the offending delegation hop, or null
 * @param score deviation in σ for behavioural rules, else null
 * @param signals the top signals behind a behavioural score, else empty
 */
public record Finding(
    Rule rule, String detail, Integer hopIndex, Double score, List<SignalScore> signals) {

  public Finding {
    Objects.requireNonNull(rule, "rule");
    Objects.requireNonNull(detail, "detail");
    signals = signals == null ? List.of() : List.copyOf(signals);
  }

  public static Finding of(Rule rule, String detail) {
    return new Finding(rule, detail, null, null, List.of());
  }

  public static Finding atHop(Rule rule, int hop, String detail) {
    return new Finding(rule, detail, hop, null, List.of());
  }
}
