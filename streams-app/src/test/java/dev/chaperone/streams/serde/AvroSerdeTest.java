package dev.chaperone.streams.serde;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chaperone.schema.AgentAction;
import dev.chaperone.schema.DeadLetter;
import dev.chaperone.streams.TestActions;
import dev.chaperone.streams.registry.MockSchemaRegistry;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.Arrays;
import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.kafka.common.errors.SerializationException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class AvroSerdeTest {

  private static final String TOPIC = "chaperone.agent-actions";
  private final MockSchemaRegistry registry = MockSchemaRegistry.forScope("avro-serde-test");
  private final AgentAction action =
      TestActions.action("e-1", "agent-1", Instant.parse("2026-11-02T09:15:00Z"));

  @AfterEach
  void dropRegistry() {
    MockSchemaRegistry.dropScope("avro-serde-test");
  }

  @Test
  void shouldWriteConfluentFramingWhenARegistryIsSet() {
    byte[] bytes =
        AvroSerde.forValues(AgentAction.class, registry).serializer().serialize(TOPIC, action);

    assertEquals(0x00, bytes[0]);
    int id = ByteBuffer.wrap(bytes, 1, 4).getInt();
    assertEquals(AgentAction.getClassSchema(), registry.schemaById(id));
    assertEquals(java.util.List.of(id), registry.versions(TOPIC + "-value"));
  }

  @Test
  void shouldServeManyStreamThreadsWithOneInstance() throws Exception {
    // Kafka Streams shares a source's, sink's or repartition topic's serde between all stream
    // threads: 4 threads each round-trip 20,000 distinct actions through one serializer and one
    // deserializer (seeded ids), and every one must come back intact
    var serde = AvroSerde.forValues(AgentAction.class, null);
    int threads = 4;
    int each = 20_000;
    java.util.concurrent.ExecutorService pool =
        java.util.concurrent.Executors.newFixedThreadPool(threads);
    try {
      java.util.List<java.util.concurrent.Future<Integer>> results = new java.util.ArrayList<>();
      for (int t = 0; t < threads; t++) {
        int thread = t;
        results.add(
            pool.submit(
                () -> {
                  int intact = 0;
                  for (int i = 0; i < each; i++) {
                    AgentAction sent =
                        AgentAction.newBuilder(action)
                            .setEventId("t" + thread + "-" + i)
                            .setResource("forum://thread/" + "x".repeat(i % 200))
                            .build();
                    AgentAction back =
                        serde
                            .deserializer()
                            .deserialize(TOPIC, serde.serializer().serialize(TOPIC, sent));
                    intact += back.toString().equals(sent.toString()) ? 1 : 0;
                  }
                  return intact;
                }));
      }
      for (var result : results) {
        assertEquals(each, result.get());
      }
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void shouldWriteSingleObjectEncodingWithoutARegistry() {
    byte[] bytes =
        AvroSerde.forValues(AgentAction.class, null).serializer().serialize(TOPIC, action);

    assertEquals((byte) 0xC3, bytes[0]);
    assertEquals(0x01, bytes[1]);
    assertArrayEquals(
        Arrays.copyOf(AvroSerde.singleObjectHeader(AgentAction.getClassSchema()), 10),
        Arrays.copyOf(bytes, 10));
  }

  @Test
  void shouldReadBothFramingsWithOneDeserializer() {
    var deserializer = AvroSerde.forValues(AgentAction.class, registry).deserializer();
    byte[] confluent =
        AvroSerde.forValues(AgentAction.class, registry).serializer().serialize(TOPIC, action);
    byte[] singleObject =
        AvroSerde.forValues(AgentAction.class, null).serializer().serialize(TOPIC, action);

    assertEquals(action, deserializer.deserialize(TOPIC, confluent));
    assertEquals(action, deserializer.deserialize(TOPIC, singleObject));
  }

  @Test
  void shouldMapNullToNullBothWays() {
    var serde = AvroSerde.forValues(AgentAction.class, registry);

    assertNull(serde.serializer().serialize(TOPIC, null));
    assertNull(serde.deserializer().deserialize(TOPIC, null));
  }

  @Test
  void shouldResolveAnOlderProducersSchema() throws Exception {
    // Given a producer on an older AgentAction schema without the optional fields added later
    Schema older = olderActionSchema();
    int id = registry.register(TOPIC + "-value", older);
    GenericRecord record = new GenericData.Record(older);
    record.put("eventId", "old-1");
    record.put("occurredAt", 1_700_000_000_000L);
    record.put("agentId", "legacy-agent");
    record.put("tool", "forum.read");
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(0);
    out.write(ByteBuffer.allocate(4).putInt(id).array());
    BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(out, null);
    new GenericDatumWriter<GenericRecord>(older).write(record, encoder);
    encoder.flush();

    // When the current deserializer reads it
    AgentAction read =
        AvroSerde.forValues(AgentAction.class, registry)
            .deserializer()
            .deserialize(TOPIC, out.toByteArray());

    // Then missing fields take their defaults
    assertEquals("legacy-agent", read.getAgentId());
    assertEquals(Instant.ofEpochMilli(1_700_000_000_000L), read.getOccurredAt());
    assertEquals(dev.chaperone.schema.ActionType.OTHER, read.getActionType());
    assertTrue(read.getDelegation().isEmpty());
    assertNull(read.getCredential());
  }

  @Test
  void shouldNameWhatIsWrongWithBadBytes() {
    var deserializer = AvroSerde.forValues(AgentAction.class, registry).deserializer();
    byte[] confluent =
        AvroSerde.forValues(AgentAction.class, registry).serializer().serialize(TOPIC, action);
    int unrelated = registry.register("other-value", DeadLetter.getClassSchema());
    byte[] wrongSchema = confluent.clone();
    ByteBuffer.wrap(wrongSchema, 1, 4).putInt(unrelated);

    assertReason(deserializer, new byte[0], "empty record");
    assertReason(deserializer, new byte[] {0x7B, 0x22}, "unknown magic byte: 0x7B");
    assertReason(deserializer, new byte[] {0, 0, 1}, "truncated Confluent header");
    assertReason(deserializer, new byte[] {0, 0, 0, 0x7F, 0x7F, 2}, "unknown schema id");
    assertReason(deserializer, Arrays.copyOf(confluent, confluent.length - 3), "truncated datum");
    assertReason(deserializer, wrongSchema, "incompatible schema");
    byte[] trailing = Arrays.copyOf(confluent, confluent.length + 2);
    assertReason(deserializer, trailing, "trailing bytes");
  }

  @Test
  void shouldRefuseConfluentFramingWithoutARegistry() {
    byte[] confluent =
        AvroSerde.forValues(AgentAction.class, registry).serializer().serialize(TOPIC, action);

    assertReason(
        AvroSerde.forValues(AgentAction.class, null).deserializer(),
        confluent,
        "no schema registry");
  }

  private static void assertReason(
      AvroSerde.AvroDeserializer<AgentAction> deserializer, byte[] bytes, String expected) {
    SerializationException e =
        assertThrows(SerializationException.class, () -> deserializer.deserialize(TOPIC, bytes));
    assertTrue(
        e.getMessage().startsWith(expected),
        () -> "expected a reason starting with '" + expected + "' but got: " + e.getMessage());
  }

  private static Schema olderActionSchema() {
    return SchemaBuilder.record("AgentAction")
        .namespace("dev.chaperone.schema")
        .fields()
        .requiredString("eventId")
        .name("occurredAt")
        .type(
            org.apache.avro.LogicalTypes.timestampMillis()
                .addToSchema(Schema.create(Schema.Type.LONG)))
        .noDefault()
        .requiredString("agentId")
        .requiredString("tool")
        .endRecord();
  }
}
