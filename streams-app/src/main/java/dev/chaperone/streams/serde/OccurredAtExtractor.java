package dev.chaperone.streams.serde;

import dev.chaperone.schema.AgentAction;
import dev.chaperone.streams.registry.SchemaRegistry;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.function.LongConsumer;
import org.apache.avro.Schema;
import org.apache.avro.SchemaNormalization;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.streams.processor.TimestampExtractor;

/**
 * Event time for the actions topic: the action's {@code occurredAt}, read straight from the Avro
 * bytes without decoding the record (its first fields are {@code eventId} then {@code occurredAt}
 * in every version of the contract; a writer schema that orders them otherwise is detected and
 * falls back). So stream time, windows, retention and punctuation all run on event time.
 *
 * <p>Where the bytes do not yield a plausible time (bad bytes, a time before 1970 or beyond the
 * future tolerance) the record's own Kafka timestamp is used and the decode step dead-letters the
 * record with its reason: nothing is skipped here. Thread-safe.
 *
 * <p>The record's Kafka timestamp, which event time replaces from here on, is told to an optional
 * observer first, on the stream thread that takes the record up: the commit pacer judges by it how
 * far behind its input the thread is ({@link dev.chaperone.streams.processor.CommitPacer#input}).
 */
public final class OccurredAtExtractor implements TimestampExtractor {

  private static final long FINGERPRINT =
      SchemaNormalization.parsingFingerprint64(AgentAction.getClassSchema());

  private final SchemaRegistry registry;
  private final long futureToleranceMs;
  private final LongConsumer kafkaTimestamps;

  public OccurredAtExtractor(SchemaRegistry registry, long futureToleranceMs) {
    this(registry, futureToleranceMs, timestamp -> {});
  }

  /** An extractor that tells {@code kafkaTimestamps} each record's Kafka timestamp. */
  public OccurredAtExtractor(
      SchemaRegistry registry, long futureToleranceMs, LongConsumer kafkaTimestamps) {
    this.registry = registry;
    this.futureToleranceMs = futureToleranceMs;
    this.kafkaTimestamps = kafkaTimestamps;
  }

  @Override
  public long extract(ConsumerRecord<Object, Object> record, long partitionTime) {
    kafkaTimestamps.accept(record.timestamp());
    long fallback = record.timestamp() >= 0 ? record.timestamp() : Math.max(partitionTime, 0);
    if (!(record.value() instanceof byte[] bytes)) {
      return fallback;
    }
    try {
      long occurredAt = occurredAt(bytes);
      if (occurredAt < 0 || occurredAt > System.currentTimeMillis() + futureToleranceMs) {
        return fallback;
      }
      return occurredAt;
    } catch (RuntimeException e) {
      return fallback;
    }
  }

  /** The occurredAt of an encoded action, or -1 when it cannot be read cheaply. */
  long occurredAt(byte[] bytes) {
    int offset;
    if (bytes.length >= WireFormat.SINGLE_OBJECT_HEADER
        && bytes[0] == WireFormat.SINGLE_OBJECT_MAGIC_0
        && bytes[1] == WireFormat.SINGLE_OBJECT_MAGIC_1) {
      long fingerprint = ByteBuffer.wrap(bytes, 2, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
      if (fingerprint != FINGERPRINT) {
        return -1;
      }
      offset = WireFormat.SINGLE_OBJECT_HEADER;
    } else if (bytes.length >= WireFormat.CONFLUENT_HEADER
        && bytes[0] == WireFormat.CONFLUENT_MAGIC
        && registry != null) {
      Schema writer = registry.schemaById(ByteBuffer.wrap(bytes, 1, 4).getInt());
      if (writer.getType() != Schema.Type.RECORD
          || writer.getFields().size() < 2
          || !writer.getFields().get(0).name().equals("eventId")
          || !writer.getFields().get(1).name().equals("occurredAt")) {
        return -1;
      }
      offset = WireFormat.CONFLUENT_HEADER;
    } else {
      return -1;
    }
    int[] position = {offset};
    long length = readVarLong(bytes, position);
    if (length < 0 || position[0] + length > bytes.length) {
      return -1;
    }
    position[0] += (int) length;
    return readVarLong(bytes, position);
  }

  private static long readVarLong(byte[] bytes, int[] position) {
    long raw = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (position[0] >= bytes.length) {
        return -1;
      }
      byte b = bytes[position[0]++];
      raw |= (long) (b & 0x7F) << shift;
      if ((b & 0x80) == 0) {
        return (raw >>> 1) ^ -(raw & 1);
      }
    }
    return -1;
  }
}
