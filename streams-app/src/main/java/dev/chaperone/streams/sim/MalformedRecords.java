package dev.chaperone.streams.sim;

import dev.chaperone.schema.AgentAction;
import dev.chaperone.schema.DeadLetter;
import dev.chaperone.streams.registry.SchemaRegistry;
import dev.chaperone.streams.serde.AvroSerde;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * One of each kind of bad action record, for the demo and the tests: every kind of badness the
 * dead-letter path must name. Each comes with the reason code the dead letter must carry.
 */
public final class MalformedRecords {

  /** A bad record and the reason code its dead letter must carry. */
  public record Malformed(String kind, byte[] value, String expectedReasonCode) {}

  private MalformedRecords() {}

  /**
   * Twenty bad records built from {@code template} (a valid action) for {@code topic}, using {@code
   * registry} to frame Confluent records and to register an unrelated schema.
   */
  public static List<Malformed> of(
      AgentAction template, String topic, SchemaRegistry registry, Instant now) {
    byte[] confluent =
        AvroSerde.forValues(AgentAction.class, registry).serializer().serialize(topic, template);
    byte[] singleObject =
        AvroSerde.forValues(AgentAction.class, null).serializer().serialize(topic, template);
    List<Malformed> bad = new ArrayList<>();
    bad.add(new Malformed("empty", new byte[0], "empty-record"));
    bad.add(
        new Malformed(
            "json instead of avro", "{\"agentId\":\"x\"}".getBytes(), "unknown-magic-byte"));
    bad.add(
        new Malformed(
            "random bytes", new byte[] {0x42, 0x13, 0x37, 0x00, 0x01}, "unknown-magic-byte"));
    bad.add(
        new Malformed(
            "truncated confluent header",
            Arrays.copyOf(confluent, 3),
            "truncated-confluent-header"));
    bad.add(
        new Malformed("unknown schema id", withSchemaId(confluent, 987_654), "unknown-schema-id"));
    bad.add(
        new Malformed(
            "truncated confluent datum",
            Arrays.copyOf(confluent, confluent.length / 2),
            "truncated-datum"));
    bad.add(
        new Malformed("trailing bytes", concat(confluent, new byte[] {7, 7, 7}), "trailing-bytes"));
    bad.add(
        new Malformed(
            "unrelated schema id", unrelatedSchema(topic, registry, now), "incompatible-schema"));
    bad.add(
        new Malformed(
            "bad single-object marker",
            concat(
                new byte[] {(byte) 0xC3, 0x02},
                Arrays.copyOfRange(singleObject, 2, singleObject.length)),
            "bad-single-object-marker"));
    bad.add(
        new Malformed(
            "truncated single-object header",
            Arrays.copyOf(singleObject, 6),
            "truncated-single-object-header"));
    bad.add(
        new Malformed(
            "unknown fingerprint",
            withFingerprint(singleObject, 0x1234_5678_9ABC_DEF0L),
            "unknown-schema-fingerprint"));
    bad.add(
        new Malformed(
            "truncated single-object datum", Arrays.copyOf(singleObject, 14), "truncated-datum"));
    bad.add(
        new Malformed(
            "missing agentId",
            encode(registry, topic, AgentAction.newBuilder(template).setAgentId("").build()),
            "contract-violation"));
    bad.add(
        new Malformed(
            "missing eventId",
            encode(null, topic, AgentAction.newBuilder(template).setEventId(" ").build()),
            "contract-violation"));
    bad.add(
        new Malformed(
            "negative timestamp",
            encode(
                registry,
                topic,
                AgentAction.newBuilder(template).setOccurredAt(Instant.ofEpochMilli(-5)).build()),
            "contract-violation"));
    bad.add(
        new Malformed(
            "far-future timestamp",
            encode(
                null,
                topic,
                AgentAction.newBuilder(template)
                    .setOccurredAt(now.plusSeconds(86_400L * 365))
                    .build()),
            "contract-violation"));
    bad.add(
        new Malformed(
            "empty tool",
            encode(registry, topic, AgentAction.newBuilder(template).setTool("").build()),
            "contract-violation"));
    bad.add(
        new Malformed(
            "oversized resource",
            encode(
                null,
                topic,
                AgentAction.newBuilder(template).setResource("x".repeat(100_000)).build()),
            "contract-violation"));
    bad.add(new Malformed("bit flip in the enum index", flipEnum(confluent), "corrupt-datum"));
    bad.add(new Malformed("null value", null, "null-value"));
    return bad;
  }

  private static byte[] encode(SchemaRegistry registry, String topic, AgentAction action) {
    return AvroSerde.forValues(AgentAction.class, registry).serializer().serialize(topic, action);
  }

  private static byte[] unrelatedSchema(String topic, SchemaRegistry registry, Instant now) {
    DeadLetter unrelated =
        DeadLetter.newBuilder()
            .setTopic(topic)
            .setPartition(0)
            .setOffset(0)
            .setReasonCode("x")
            .setReason("an unrelated record")
            .setFailedAt(now)
            .build();
    return AvroSerde.forValues(DeadLetter.class, registry)
        .serializer()
        .serialize(topic + "-unrelated", unrelated);
  }

  private static byte[] withSchemaId(byte[] confluent, int id) {
    byte[] copy = confluent.clone();
    ByteBuffer.wrap(copy, 1, 4).putInt(id);
    return copy;
  }

  private static byte[] withFingerprint(byte[] singleObject, long fingerprint) {
    byte[] copy = singleObject.clone();
    ByteBuffer.wrap(copy, 2, 8).order(java.nio.ByteOrder.LITTLE_ENDIAN).putLong(fingerprint);
    return copy;
  }

  /** Sets the actionType enum index to 63, which no symbol has. */
  private static byte[] flipEnum(byte[] confluent) {
    // Layout after the 5-byte header: eventId, occurredAt, agentId, agentVersion (union), sessionId
    // (union), requestRef (union), actionType (enum index, zig-zag varint). Walk the varints.
    ByteBuffer in = ByteBuffer.wrap(confluent, 5, confluent.length - 5);
    skipString(in); // eventId
    readVarLong(in); // occurredAt
    skipString(in); // agentId
    for (int i = 0; i < 3; i++) {
      long branch = readVarLong(in);
      if (branch == 1) {
        skipString(in);
      }
    }
    byte[] copy = confluent.clone();
    copy[in.position()] = 0x7E; // zig-zag 63: no such symbol
    return copy;
  }

  private static void skipString(ByteBuffer in) {
    long length = readVarLong(in);
    in.position(in.position() + (int) length);
  }

  private static long readVarLong(ByteBuffer in) {
    long raw = 0;
    int shift = 0;
    byte b;
    do {
      b = in.get();
      raw |= (long) (b & 0x7F) << shift;
      shift += 7;
    } while ((b & 0x80) != 0);
    return (raw >>> 1) ^ -(raw & 1);
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] out = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }
}
