package dev.chaperone.streams.processor;

import dev.chaperone.streams.metrics.ChaperoneMetrics;
import dev.chaperone.streams.registry.SchemaRegistryException;
import java.util.List;
import java.util.function.Function;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps a global store of a compacted topic (registry, detector config) with the raw bytes of the
 * last <em>valid</em> record per key: a record that does not decode or breaks its rules is rejected
 * with a readable reason (logged with its coordinates, counted), and the last good value stays in
 * force. A tombstone deletes the key. Each write advances the store's {@link StoreVersion}. A
 * schema registry that cannot be reached fails the update instead of rejecting the record.
 */
public final class GlobalTableUpdater<T> implements Processor<String, byte[], Void, Void> {

  private static final Logger LOG = LoggerFactory.getLogger(GlobalTableUpdater.class);

  private final String storeName;
  private final Deserializer<T> deserializer;
  private final Function<T, List<String>> validator;
  private final ChaperoneMetrics metrics;
  private final RejectionLog rejections;
  private final StoreVersion version;
  private ProcessorContext<Void, Void> context;
  private KeyValueStore<String, byte[]> store;

  public GlobalTableUpdater(
      String storeName,
      Deserializer<T> deserializer,
      Function<T, List<String>> validator,
      ChaperoneMetrics metrics,
      RejectionLog rejections,
      StoreVersion version) {
    this.storeName = storeName;
    this.version = version;
    this.deserializer = deserializer;
    this.validator = validator;
    this.metrics = metrics;
    this.rejections = rejections;
  }

  @Override
  public void init(ProcessorContext<Void, Void> context) {
    this.context = context;
    this.store = context.getStateStore(storeName);
  }

  @Override
  public void process(Record<String, byte[]> record) {
    RecordMetadata metadata = context.recordMetadata().orElse(null);
    String topic = metadata == null ? "unknown" : metadata.topic();
    if (record.key() == null) {
      reject(metadata, record.key(), "null key: records on " + topic + " must be keyed");
      return;
    }
    if (record.value() == null) {
      store.delete(record.key());
      version.advance();
      return;
    }
    String reason;
    try {
      T value = deserializer.deserialize(topic, record.value());
      List<String> problems = validator.apply(value);
      if (problems.isEmpty()) {
        store.put(record.key(), record.value());
        version.advance();
        return;
      }
      reason = "invalid: " + String.join("; ", problems);
    } catch (SchemaRegistryException e) {
      // The schema registry unreachable is not the record's fault: rejecting a good registration
      // would leave its agent unregistered. Fail loudly, as decoding actions does; after a restart
      // the global store reads the record again. (An unknown schema id is the record's fault: the
      // deserializer reports it as a SerializationException, rejected below.)
      throw e;
    } catch (RuntimeException e) {
      reason = e.getMessage();
    }
    reject(metadata, record.key(), reason);
  }

  private void reject(RecordMetadata metadata, String key, String reason) {
    String topic = metadata == null ? "unknown" : metadata.topic();
    metrics.rejected(topic, DeadLetters.reasonCode(reason));
    rejections.record(key, reason, metadata == null ? -1 : metadata.offset());
    LOG.warn(
        "rejected record {}-{}@{} for key {}: {}; the last good value stays in force",
        topic,
        metadata == null ? -1 : metadata.partition(),
        metadata == null ? -1 : metadata.offset(),
        key,
        reason);
  }
}
