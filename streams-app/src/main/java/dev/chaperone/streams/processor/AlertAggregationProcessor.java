package dev.chaperone.streams.processor;

import dev.chaperone.schema.AgentRegistration;
import dev.chaperone.schema.Alert;
import dev.chaperone.streams.detect.EffectiveConfig;
import dev.chaperone.streams.metrics.ChaperoneMetrics;
import dev.chaperone.streams.serde.AvroSerde;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.PriorityQueue;
import java.util.TreeMap;
import java.util.function.ObjLongConsumer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Aggregation that never drops an alert. The first finding of a rule for an agent goes out at once
 * as a new alert; repeats within the agent's suppression window (event time) become updates of that
 * same alert: count, last seen and a bounded sample of event ids. Updates go out when the count
 * reaches 2, 4, 8, … and, with the final count, when the window closes (stream-time punctuation, so
 * output depends on the input alone, never on wall-clock timing). Delegation violations pass
 * through untouched. The {@code chaperone.alerts{kind}} metric counts new alerts and updates beside
 * {@code chaperone.findings}, so every finding is accounted for.
 */
public final class AlertAggregationProcessor implements Processor<String, Object, String, Object> {

  /** Most event ids kept on an aggregated alert: the first and the latest ones. */
  public static final int EVENT_ID_SAMPLE = 10;

  private final String storeName;
  private final String suppressionsStore;
  private final ChaperoneMetrics metrics;
  private final DetectionContext.Factory detectionFactory;
  private ProcessorContext<String, Object> context;
  private AggregateStore aggregates;
  private KeyValueStore<String, Long> suppressions;
  private DetectionContext detection;

  /**
   * When each open aggregate's window ends, soonest first, so that closing windows reads only the
   * aggregates that are due: a scan decoding every aggregate at each punctuation (each minute of
   * stream time) cost about 4 % of the stream thread in {@code chaperone bench}, where stream time
   * runs fast, as it does whenever the detector catches up on a backlog. Rebuilt from the store's
   * headers at every initialisation; a deadline whose aggregate was since replaced or closed is
   * skipped when it comes up.
   */
  private final PriorityQueue<Deadline> deadlines =
      new PriorityQueue<>(Comparator.comparingLong(Deadline::end));

  private record Deadline(long end, String key) {}

  /** The state of one (agent, rule) aggregate. */
  record Aggregate(long windowStart, long windowMs, long emittedCount, Alert alert) {}

  /** The aggregates store with its encoding: window start, window length, count emitted, alert. */
  static final class AggregateStore {
    private final KeyValueStore<String, byte[]> store;
    private final String name;
    private final Serde<Alert> alerts = AvroSerde.forValues(Alert.class, null);

    AggregateStore(KeyValueStore<String, byte[]> store, String name) {
      this.store = store;
      this.name = name;
    }

    Aggregate load(String key) {
      byte[] bytes = store.get(key);
      return bytes == null ? null : decode(bytes);
    }

    void save(String key, Aggregate aggregate) {
      byte[] alert = alerts.serializer().serialize(name, aggregate.alert());
      store.put(
          key,
          ByteBuffer.allocate(24 + alert.length)
              .putLong(aggregate.windowStart())
              .putLong(aggregate.windowMs())
              .putLong(aggregate.emittedCount())
              .put(alert)
              .array());
    }

    void delete(String key) {
      store.delete(key);
    }

    /** The raw record of {@code key}, or null. */
    byte[] raw(String key) {
      return store.get(key);
    }

    /** Calls {@code sink} with every aggregate's key and window end, without decoding alerts. */
    void forEachWindowEnd(ObjLongConsumer<String> sink) {
      try (KeyValueIterator<String, byte[]> all = store.all()) {
        while (all.hasNext()) {
          KeyValue<String, byte[]> entry = all.next();
          sink.accept(entry.key, windowEnd(entry.value));
        }
      }
    }

    /** When the window of an encoded aggregate ends: its start plus its length. */
    static long windowEnd(byte[] bytes) {
      ByteBuffer buffer = ByteBuffer.wrap(bytes);
      return buffer.getLong() + buffer.getLong();
    }

    Aggregate decode(byte[] bytes) {
      ByteBuffer buffer = ByteBuffer.wrap(bytes);
      long start = buffer.getLong();
      long window = buffer.getLong();
      long emitted = buffer.getLong();
      byte[] alert = new byte[bytes.length - 24];
      buffer.get(alert);
      return new Aggregate(start, window, emitted, alerts.deserializer().deserialize(name, alert));
    }
  }

  public AlertAggregationProcessor(
      String storeName, String suppressionsStore, DetectionContext.Factory detectionFactory) {
    this.storeName = storeName;
    this.suppressionsStore = suppressionsStore;
    this.metrics = detectionFactory.metrics();
    this.detectionFactory = detectionFactory;
  }

  @Override
  public void init(ProcessorContext<String, Object> context) {
    this.context = context;
    this.aggregates = new AggregateStore(context.getStateStore(storeName), storeName);
    this.suppressions = context.getStateStore(suppressionsStore);
    this.detection = detectionFactory.create(context);
    deadlines.clear();
    aggregates.forEachWindowEnd((key, end) -> deadlines.add(new Deadline(end, key)));
    context.schedule(Duration.ofMinutes(1), PunctuationType.STREAM_TIME, this::closeWindows);
  }

  @Override
  public void process(Record<String, Object> record) {
    // findings of actions, and alerts from the repartition topics (shared credentials, fleet)
    detectionFactory.pacer().onRecord(context);
    if (!(record.value() instanceof Alert alert)) {
      context.forward(record);
      return;
    }
    String key = alert.getAgentId() + '\u0000' + alert.getRuleId();
    long at = alert.getLastSeen().toEpochMilli();
    Long suppressedUntil = suppressions.get(key);
    if (suppressedUntil != null) {
      if (at < suppressedUntil) {
        metrics.suppressed(alert.getRuleId()); // an analyst asked for quiet: counted, not paged
        return;
      }
      suppressions.delete(key);
    }
    Aggregate existing = aggregates.load(key);
    if (existing != null && at < existing.windowStart() + existing.windowMs()) {
      Alert merged = merge(existing.alert(), alert);
      long emitted = existing.emittedCount();
      if (Long.bitCount(merged.getCount()) == 1) {
        emit(merged, record.timestamp());
        emitted = merged.getCount();
      }
      aggregates.save(
          key, new Aggregate(existing.windowStart(), existing.windowMs(), emitted, merged));
      return;
    }
    if (existing != null) {
      close(key, existing, record.timestamp());
    }
    AgentRegistration registration = detection.registration(alert.getAgentId());
    EffectiveConfig effective = detection.effectiveConfig(alert.getAgentId(), registration);
    emit(alert, record.timestamp());
    if (effective.suppressionWindowMs() > 0) {
      aggregates.save(key, new Aggregate(at, effective.suppressionWindowMs(), 1, alert));
      deadlines.add(new Deadline(at + effective.suppressionWindowMs(), key));
    }
  }

  /** The aggregate with one more occurrence: same id, count + 1, latest time, sampled event ids. */
  static Alert merge(Alert aggregate, Alert repeat) {
    List<String> sample = new ArrayList<>(aggregate.getEventIds());
    for (String id : repeat.getEventIds()) {
      if (!sample.contains(id)) {
        sample.add(id);
      }
    }
    while (sample.size() > EVENT_ID_SAMPLE) {
      sample.remove(1); // keep the first occurrence and the latest ones
    }
    Instant first =
        aggregate.getFirstSeen().isBefore(repeat.getFirstSeen())
            ? aggregate.getFirstSeen()
            : repeat.getFirstSeen();
    Instant last =
        aggregate.getLastSeen().isAfter(repeat.getLastSeen())
            ? aggregate.getLastSeen()
            : repeat.getLastSeen();
    Double score = aggregate.getScore();
    if (score == null || (repeat.getScore() != null && repeat.getScore() > score)) {
      score = repeat.getScore();
    }
    return Alert.newBuilder(aggregate)
        .setCount(aggregate.getCount() + repeat.getCount())
        .setFirstSeen(first)
        .setLastSeen(last)
        .setEventIds(sample)
        .setScore(score)
        .setSeverity(
            repeat.getSeverity().ordinal() > aggregate.getSeverity().ordinal()
                ? repeat.getSeverity()
                : aggregate.getSeverity())
        .setExplanation(repeat.getExplanation())
        .setUpdate(true)
        .build();
  }

  private void closeWindows(long streamTime) {
    // due keys in the store's (UTF-8 byte) order, the order a scan of the store closed them in
    TreeMap<byte[], String> due = new TreeMap<>(Arrays::compareUnsigned);
    while (!deadlines.isEmpty() && deadlines.peek().end() <= streamTime) {
      String key = deadlines.poll().key();
      due.put(key.getBytes(StandardCharsets.UTF_8), key);
    }
    for (String key : due.values()) {
      byte[] raw = aggregates.raw(key);
      if (raw != null && streamTime >= AggregateStore.windowEnd(raw)) {
        close(key, aggregates.decode(raw), streamTime);
      }
    }
  }

  /** Ends an aggregate: its final count goes out unless it already has. */
  private void close(String key, Aggregate aggregate, long timestamp) {
    if (aggregate.emittedCount() < aggregate.alert().getCount()) {
      emit(aggregate.alert(), timestamp);
    }
    aggregates.delete(key);
  }

  private void emit(Alert alert, long timestamp) {
    metrics.alertEmitted(alert.getRuleId(), alert.getSeverity().name(), alert.getUpdate());
    context.forward(new Record<>(alert.getAgentId(), (Object) alert, timestamp));
  }
}
