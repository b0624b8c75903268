package dev.chaperone.streams.processor;

import dev.chaperone.schema.DeadLetter;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.Locale;
import org.apache.kafka.streams.processor.api.RecordMetadata;

/** Builds {@link DeadLetter} records and the short reason codes their metric is tagged with. */
public final class DeadLetters {

  private DeadLetters() {}

  /**
   * A dead letter for a record read at {@code metadata}.
   *
   * @param reason for a human: what was wrong
   */
  public static DeadLetter of(
      RecordMetadata metadata,
      long timestamp,
      byte[] key,
      byte[] value,
      String reason,
      long nowMs) {
    return DeadLetter.newBuilder()
        .setTopic(metadata == null ? "unknown" : metadata.topic())
        .setPartition(metadata == null ? -1 : metadata.partition())
        .setOffset(metadata == null ? -1 : metadata.offset())
        .setTimestamp(timestamp)
        .setKey(key == null ? null : ByteBuffer.wrap(key))
        .setValue(value == null ? null : ByteBuffer.wrap(value))
        .setReasonCode(reasonCode(reason))
        .setReason(reason)
        .setFailedAt(Instant.ofEpochMilli(nowMs))
        .build();
  }

  /**
   * A low-cardinality, kebab-case code for a reason, for metric tags: the reason's text before its
   * first colon with numbers dropped ({@code "unknown schema id: the registry does not know id 7"}
   * gives {@code unknown-schema-id}). Every reason Chaperone writes leads with such a phrase.
   */
  public static String reasonCode(String reason) {
    if (reason == null || reason.isBlank()) {
      return "unknown";
    }
    int colon = reason.indexOf(':');
    String head = colon > 0 ? reason.substring(0, colon) : reason;
    return slug(head.replaceAll("0x[0-9A-Fa-f]+", "").replaceAll("[0-9]+", ""));
  }

  private static String slug(String text) {
    String slug =
        text.trim().toLowerCase(Locale.ROOT).replaceAll("[^a-z]+", "-").replaceAll("(^-|-$)", "");
    if (slug.length() > 40) {
      slug = slug.substring(0, 40);
    }
    return slug.isEmpty() ? "unknown" : slug;
  }
}
