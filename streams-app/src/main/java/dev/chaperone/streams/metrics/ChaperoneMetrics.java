package dev.chaperone.streams.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.Objects;

/**
 * Chaperone's own meters, named once here. Names follow Micrometer's dotted lower-case convention;
 * the Prometheus registry renders {@code chaperone.dead.letters} as {@code
 * chaperone_dead_letters_total}. Thread-safe.
 */
public final class ChaperoneMetrics {

  /** Input records by outcome: {@code accepted} or {@code dead-lettered}. */
  public static final String EVENTS = "chaperone.events";

  /** Records sent to the dead-letter topic, by source topic and reason code. */
  public static final String DEAD_LETTERS = "chaperone.dead.letters";

  public static final String TAG_OUTCOME = "outcome";
  public static final String TAG_TOPIC = "topic";
  public static final String TAG_REASON = "reason";

  private final MeterRegistry registry;

  public ChaperoneMetrics(MeterRegistry registry) {
    this.registry = Objects.requireNonNull(registry, "registry");
  }

  /** Metrics kept in memory only, for tests and tools. */
  public static ChaperoneMetrics inMemory() {
    return new ChaperoneMetrics(new SimpleMeterRegistry());
  }

  public MeterRegistry registry() {
    return registry;
  }

  public void eventAccepted() {
    Counter.builder(EVENTS)
        .description("Input events by outcome")
        .tag(TAG_OUTCOME, "accepted")
        .register(registry)
        .increment();
  }

  public void deadLettered(String topic, String reasonCode) {
    Counter.builder(EVENTS)
        .description("Input events by outcome")
        .tag(TAG_OUTCOME, "dead-lettered")
        .register(registry)
        .increment();
    Counter.builder(DEAD_LETTERS)
        .description("Records sent to the dead-letter topic")
        .tag(TAG_TOPIC, topic)
        .tag(TAG_REASON, reasonCode)
        .register(registry)
        .increment();
  }

  /** Current count of a counter, 0 when it was never incremented. */
  public double count(String name, String... tags) {
    Counter counter = registry.find(name).tags(tags).counter();
    return counter == null ? 0 : counter.count();
  }

  /** Sum over every counter of this name whatever its tags. */
  public double total(String name, String... tags) {
    return registry.find(name).tags(tags).counters().stream().mapToDouble(Counter::count).sum();
  }
}
