package dev.chaperone.streams.processor;

import dev.chaperone.schema.AlertFeedback;
import dev.chaperone.schema.DeadLetter;
import dev.chaperone.streams.metrics.ChaperoneMetrics;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;

/**
 * Decodes analyst feedback and sends it on keyed by the alert's agent, so that it reaches the task
 * that holds the agent's baseline and alerts. Feedback that does not decode, or names no agent,
 * leaves as a {@link DeadLetter} with its reason.
 */
public final class DecodeFeedbackProcessor implements Processor<byte[], byte[], String, Object> {

  private final Deserializer<AlertFeedback> deserializer;
  private final ChaperoneMetrics metrics;
  private final CommitPacer pacer;
  private ProcessorContext<String, Object> context;

  public DecodeFeedbackProcessor(
      Deserializer<AlertFeedback> deserializer, ChaperoneMetrics metrics, CommitPacer pacer) {
    this.deserializer = deserializer;
    this.metrics = metrics;
    this.pacer = pacer;
  }

  @Override
  public void init(ProcessorContext<String, Object> context) {
    this.context = context;
    pacer.init(context);
  }

  @Override
  public void process(Record<byte[], byte[]> record) {
    pacer.onRecord(context);
    RecordMetadata metadata = context.recordMetadata().orElse(null);
    String topic = metadata == null ? "unknown" : metadata.topic();
    String reason;
    try {
      AlertFeedback feedback =
          record.value() == null ? null : deserializer.deserialize(topic, record.value());
      if (feedback == null) {
        reason = "null value: a feedback record must carry an AlertFeedback";
      } else if (feedback.getAgentId() == null || feedback.getAgentId().isBlank()) {
        reason =
            "contract violation: agentId: missing, so the feedback cannot reach the alert's agent";
      } else {
        context.forward(record.withKey(feedback.getAgentId()).withValue((Object) feedback));
        return;
      }
    } catch (SerializationException e) {
      reason = e.getMessage();
    }
    DeadLetter letter =
        DeadLetters.of(
            metadata,
            record.timestamp(),
            record.key(),
            record.value(),
            reason,
            context.currentSystemTimeMs());
    metrics.deadLettered(topic, letter.getReasonCode());
    context.forward(record.withKey((String) null).withValue((Object) letter));
  }
}
