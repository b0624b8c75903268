package dev.chaperone.streams.processor;

import dev.chaperone.schema.AgentAction;
import dev.chaperone.schema.DeadLetter;
import dev.chaperone.streams.contract.ActionContract;
import dev.chaperone.streams.contract.ContractViolationException;
import dev.chaperone.streams.metrics.ChaperoneMetrics;
import dev.chaperone.streams.registry.SchemaRegistryException;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.streams.processor.api.FixedKeyProcessor;
import org.apache.kafka.streams.processor.api.FixedKeyProcessorContext;
import org.apache.kafka.streams.processor.api.FixedKeyRecord;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decodes raw action records and checks them against the contract. Every record leaves as a {@link
 * DecodeResult}: the action, or a {@link DeadLetter} with the original bytes, topic, partition,
 * offset and a readable reason. Nothing is thrown for bad input, so one bad record never stops the
 * pipeline; each rejection is counted and logged with its coordinates (never its content).
 */
public final class DecodeActionProcessor
    implements FixedKeyProcessor<byte[], byte[], DecodeResult> {

  private static final Logger LOG = LoggerFactory.getLogger(DecodeActionProcessor.class);

  private final Deserializer<AgentAction> deserializer;
  private final ActionContract contract;
  private final ChaperoneMetrics metrics;
  private final CommitPacer pacer;
  private FixedKeyProcessorContext<byte[], DecodeResult> context;

  public DecodeActionProcessor(
      Deserializer<AgentAction> deserializer,
      ActionContract contract,
      ChaperoneMetrics metrics,
      CommitPacer pacer) {
    this.deserializer = deserializer;
    this.contract = contract;
    this.metrics = metrics;
    this.pacer = pacer;
  }

  @Override
  public void init(FixedKeyProcessorContext<byte[], DecodeResult> context) {
    this.context = context;
    pacer.init(context);
  }

  @Override
  public void process(FixedKeyRecord<byte[], byte[]> record) {
    pacer.onRecord(context);
    RecordMetadata metadata = context.recordMetadata().orElse(null);
    String topic = metadata == null ? "unknown" : metadata.topic();
    String reason;
    try {
      AgentAction action = decode(topic, record.value());
      contract.validate(action, context.currentSystemTimeMs());
      metrics.eventAccepted();
      // From here on, time is event time: windows, lateness and baselines run on occurredAt.
      context.forward(
          record
              .withValue(DecodeResult.valid(action))
              .withTimestamp(action.getOccurredAt().toEpochMilli()));
      return;
    } catch (SerializationException e) {
      reason = e.getMessage();
    } catch (ContractViolationException e) {
      reason = "contract violation: " + e.getMessage();
    }
    DeadLetter deadLetter =
        DeadLetters.of(
            metadata,
            record.timestamp(),
            record.key(),
            record.value(),
            reason,
            context.currentSystemTimeMs());
    metrics.deadLettered(topic, deadLetter.getReasonCode());
    LOG.warn(
        "dead-lettered record {}-{}@{}: {}",
        topic,
        metadata == null ? -1 : metadata.partition(),
        metadata == null ? -1 : metadata.offset(),
        reason);
    context.forward(record.withValue(DecodeResult.rejected(deadLetter)));
  }

  private AgentAction decode(String topic, byte[] value) {
    if (value == null) {
      throw new SerializationException(
          "null value: an action record must carry an AgentAction (tombstones are not accepted on the actions topic)");
    }
    try {
      return deserializer.deserialize(topic, value);
    } catch (SerializationException | SchemaRegistryException e) {
      // A registry outage is not the record's fault: fail loudly rather than dead-letter good data.
      throw e;
    } catch (RuntimeException e) {
      // Anything else from a decoder on hostile bytes is still the record's fault.
      throw new SerializationException(
          "corrupt record: " + e.getClass().getSimpleName() + ": " + e.getMessage(), e);
    }
  }
}
