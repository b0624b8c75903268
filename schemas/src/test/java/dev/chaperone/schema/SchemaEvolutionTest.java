package dev.chaperone.schema;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.SchemaCompatibility.SchemaCompatibilityType;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.avro.specific.SpecificRecord;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Pins the contract's evolution: every schema is checked against a frozen copy of its first
 * released version ({@code src/test/resources/frozen/v1}), both ways. A reader on the current
 * schema must read data written with v1 (backward), and a reader on v1 must read data written with
 * the current schema (forward). Fields added since v1 must be optional with a default.
 */
class SchemaEvolutionTest {

  static Stream<Class<? extends SpecificRecord>> records() {
    return ChaperoneSchemas.RECORD_CLASSES.stream();
  }

  @ParameterizedTest
  @MethodSource("records")
  void shouldReadDataWrittenWithTheFirstReleasedSchema(Class<? extends SpecificRecord> type)
      throws IOException {
    Schema current = ChaperoneSchemas.schemaOf(type);
    Schema frozen = frozen(current.getName());

    var result = SchemaCompatibility.checkReaderWriterCompatibility(current, frozen);

    assertEquals(
        SchemaCompatibilityType.COMPATIBLE,
        result.getType(),
        () ->
            current.getName()
                + " cannot read v1 data: "
                + result.getResult().getIncompatibilities());
  }

  @ParameterizedTest
  @MethodSource("records")
  void shouldBeReadableByTheFirstReleasedSchema(Class<? extends SpecificRecord> type)
      throws IOException {
    Schema current = ChaperoneSchemas.schemaOf(type);
    Schema frozen = frozen(current.getName());

    var result = SchemaCompatibility.checkReaderWriterCompatibility(frozen, current);

    assertEquals(
        SchemaCompatibilityType.COMPATIBLE,
        result.getType(),
        () ->
            "v1 readers cannot read "
                + current.getName()
                + ": "
                + result.getResult().getIncompatibilities());
  }

  @ParameterizedTest
  @MethodSource("records")
  void shouldGiveEveryNewFieldADefault(Class<? extends SpecificRecord> type) throws IOException {
    Schema current = ChaperoneSchemas.schemaOf(type);
    Schema frozen = frozen(current.getName());

    List<String> missingDefaults = new ArrayList<>();
    for (Schema.Field field : current.getFields()) {
      if (frozen.getField(field.name()) == null && !field.hasDefaultValue()) {
        missingDefaults.add(field.name());
      }
    }

    assertTrue(missingDefaults.isEmpty(), "fields added without a default: " + missingDefaults);
  }

  @ParameterizedTest
  @MethodSource("records")
  void shouldDocumentEveryField(Class<? extends SpecificRecord> type) {
    List<String> undocumented = new ArrayList<>();
    collectUndocumented(ChaperoneSchemas.schemaOf(type), undocumented, new ArrayList<>());

    assertTrue(undocumented.isEmpty(), "fields without a doc: " + undocumented);
  }

  @org.junit.jupiter.api.Test
  void shouldRoundTripAnActionBetweenV1AndCurrentSchemas() throws IOException {
    // Given an AgentAction written with the generated (current) classes
    ChaperoneSchemas.trustGeneratedClasses();
    AgentAction action = sampleAction();
    byte[] currentBytes = write(action, AgentAction.getClassSchema());

    // When a v1 reader reads it, and the current reader reads it back after a v1 write
    Schema v1 = frozen("AgentAction");
    GenericRecord asV1 =
        new GenericDatumReader<GenericRecord>(AgentAction.getClassSchema(), v1)
            .read(null, DecoderFactory.get().binaryDecoder(currentBytes, null));
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(out, null);
    new GenericDatumWriter<GenericRecord>(v1, GenericData.get()).write(asV1, encoder);
    encoder.flush();
    AgentAction back =
        new SpecificDatumReader<AgentAction>(v1, AgentAction.getClassSchema())
            .read(null, DecoderFactory.get().binaryDecoder(out.toByteArray(), null));

    // Then nothing was lost either way
    assertEquals(action, back);
  }

  static AgentAction sampleAction() {
    return AgentAction.newBuilder()
        .setEventId("evt-1")
        .setOccurredAt(Instant.parse("2026-11-02T09:15:00Z"))
        .setAgentId("forum-helper")
        .setSessionId("s-1")
        .setActionType(ActionType.MESSAGE_PUBLISH)
        .setTool("forum.post")
        .setResource("forum://thread/8812")
        .setOutcome(Outcome.SUCCEEDED)
        .setOutput(Output.newBuilder().setChannel("forum").setContentClass("ADVICE").build())
        .setCredential(
            Credential.newBuilder()
                .setTokenId("tok-1")
                .setScopes(List.of("write:*"))
                .setIssuedAt(Instant.parse("2025-01-01T00:00:00Z"))
                .build())
        .setDelegation(
            List.of(
                DelegationHop.newBuilder()
                    .setPrincipal("alice")
                    .setPrincipalType(PrincipalType.HUMAN)
                    .setIssuedAt(Instant.parse("2026-11-02T09:00:00Z"))
                    .build()))
        .setAttributes(Map.of("gen_ai.system", "openai"))
        .build();
  }

  private static byte[] write(SpecificRecord record, Schema schema) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(out, null);
    new SpecificDatumWriter<SpecificRecord>(schema).write(record, encoder);
    encoder.flush();
    return out.toByteArray();
  }

  private static void collectUndocumented(Schema schema, List<String> out, List<String> seen) {
    switch (schema.getType()) {
      case RECORD -> {
        if (seen.contains(schema.getFullName())) {
          return;
        }
        seen.add(schema.getFullName());
        for (Schema.Field field : schema.getFields()) {
          if (field.doc() == null || field.doc().isBlank()) {
            out.add(schema.getName() + "." + field.name());
          }
          collectUndocumented(field.schema(), out, seen);
        }
      }
      case UNION -> schema.getTypes().forEach(s -> collectUndocumented(s, out, seen));
      case ARRAY -> collectUndocumented(schema.getElementType(), out, seen);
      case MAP -> collectUndocumented(schema.getValueType(), out, seen);
      default -> {}
    }
  }

  private static Schema frozen(String name) throws IOException {
    try (InputStream in =
        SchemaEvolutionTest.class.getResourceAsStream("/frozen/v1/" + name + ".avsc")) {
      assertNotNull(in, "no frozen v1 copy of " + name + " in src/test/resources/frozen/v1");
      return new Schema.Parser().parse(in);
    }
  }
}
