package dev.chaperone.streams.serde;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chaperone.schema.ActionType;
import dev.chaperone.schema.AgentAction;
import dev.chaperone.schema.Approval;
import dev.chaperone.schema.Credential;
import dev.chaperone.schema.DelegationHop;
import dev.chaperone.schema.Outcome;
import dev.chaperone.schema.Output;
import dev.chaperone.schema.PrincipalType;
import dev.chaperone.streams.registry.MockSchemaRegistry;
import dev.chaperone.streams.registry.SchemaRegistry;
import dev.chaperone.streams.sim.AttackScenarios;
import dev.chaperone.streams.sim.FleetSimulator;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Consumer;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericArray;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.kafka.common.errors.SerializationException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@link AgentActionBinary} against Avro's own reader and writer: the same bytes for every action,
 * the same action (and collection classes) for every datum, and through {@link AvroSerde} the same
 * answer or error for corrupt bytes and values Avro refuses to write.
 */
class AgentActionBinaryTest {

  private static final Schema SCHEMA = AgentAction.getClassSchema();
  private static final Instant NOW = Instant.parse("2026-11-20T12:00:00Z");
  private static final String TOPIC = "chaperone.agent-actions";
  private static final long SEED = 20261202L;

  private final MockSchemaRegistry registry = MockSchemaRegistry.forScope("action-binary-test");

  @AfterEach
  void dropRegistry() {
    MockSchemaRegistry.dropScope("action-binary-test");
  }

  @Test
  void shouldFollowThisBuildsAgentActionSchema() {
    // A changed AgentAction schema fails here until AgentActionBinary follows it (Avro alone
    // serves meanwhile); then FINGERPRINT is the new schema's.
    assertTrue(
        AgentActionBinary.matches(SCHEMA),
        String.format(
            "AgentAction's parsing fingerprint is %016X, AgentActionBinary follows %016X",
            org.apache.avro.SchemaNormalization.parsingFingerprint64(SCHEMA),
            AgentActionBinary.FINGERPRINT));
    assertSame(AgentActionBinary.INSTANCE, AvroSerde.directCodec(SCHEMA));
  }

  @Test
  void shouldWriteAndReadEveryActionAsAvroDoes() throws IOException {
    // Given a fleet's three days, every attack, and actions built to reach every branch
    List<AgentAction> actions = actions();

    for (AgentAction action : actions) {
      // When each is written by both, Then the bytes are the same
      byte[] avro = avroWrite(action);
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(out, null);
      AgentActionBinary.INSTANCE.write(action, encoder);
      encoder.flush();
      assertArrayEquals(avro, out.toByteArray(), action.getEventId());

      // And read back by both, the same action with the same collection classes
      AgentAction byAvro =
          new SpecificDatumReader<AgentAction>(SCHEMA, SCHEMA).read(null, at(avro));
      BinaryInput input = new BinaryInput(avro, 0, avro.length);
      AgentAction direct = AgentActionBinary.INSTANCE.read(input);
      assertTrue(input.isEnd(), action.getEventId());
      assertEquals(byAvro.toString(), direct.toString(), action.getEventId());
      sameKind(byAvro.getDelegation(), direct.getDelegation());
      sameKind(byAvro.getAttributes(), direct.getAttributes());
      if (byAvro.getCredential() != null) {
        sameKind(byAvro.getCredential().getScopes(), direct.getCredential().getScopes());
      }
      for (int hop = 0; hop < byAvro.getDelegation().size(); hop++) {
        sameKind(
            byAvro.getDelegation().get(hop).getScopes(),
            direct.getDelegation().get(hop).getScopes());
      }
      // Avro's array of records compares its elements without the logical types' conversions, so
      // the actions are compared with their hops in plain lists
      byAvro.setDelegation(new ArrayList<>(byAvro.getDelegation()));
      direct.setDelegation(new ArrayList<>(direct.getDelegation()));
      assertEquals(byAvro, direct, action.getEventId());
    }
    assertTrue(actions.size() > 1_000, actions.size() + " actions");
  }

  @Test
  void shouldReadCollectionsWrittenInBlocksAsAvroDoes() throws IOException {
    // Given actions written by Avro's blocking encoder, whose arrays and maps come in blocks with
    // a negative item count and a byte size (as other writers than this serde's may send them)
    for (int seed = 0; seed < 64; seed++) {
      AgentAction action = full(seed);
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      out.write(AvroSerde.singleObjectHeader(SCHEMA));
      BinaryEncoder blocking =
          new EncoderFactory().configureBlockSize(64).blockingBinaryEncoder(out, null);
      new SpecificDatumWriter<AgentAction>(SCHEMA).write(action, blocking);
      blocking.flush();
      byte[] framed = out.toByteArray();

      // When read with and without the direct codec, Then both give the action written
      assertFalse(
          Arrays.equals(avroWrite(action), Arrays.copyOfRange(framed, 10, framed.length)),
          "written in blocks");
      AgentAction byAvro =
          AvroSerde.avroOnly(AgentAction.class, null).deserializer().deserialize(TOPIC, framed);
      AgentAction direct = serde(null).deserializer().deserialize(TOPIC, framed);
      assertEquals(byAvro.toString(), direct.toString());
      assertEquals(action.getAttributes(), direct.getAttributes());
      // (and by the codec itself, not by Avro after the codec gave up)
      BinaryInput input = new BinaryInput(framed, 10, framed.length - 10);
      assertEquals(byAvro.toString(), AgentActionBinary.INSTANCE.read(input).toString());
      assertTrue(input.isEnd());
      assertEquals(action.getDelegation().toString(), direct.getDelegation().toString());
    }
  }

  @Test
  void shouldReadVarintsAsAvroDoes() throws IOException {
    // Given ints and longs at the edges of each varint length and at random (seeded)
    Random random = new Random(SEED);
    List<Long> longs = new ArrayList<>(List.of(0L, -1L, 1L, Long.MIN_VALUE, Long.MAX_VALUE));
    for (int bits = 0; bits < 64; bits++) {
      longs.add(1L << bits);
      longs.add(-(1L << bits));
      longs.add((1L << bits) - 1);
    }
    for (int i = 0; i < 2_000; i++) {
      longs.add(random.nextLong() >> random.nextInt(64));
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(out, null);
    for (long value : longs) {
      encoder.writeLong(value);
      encoder.writeInt((int) value);
    }
    encoder.flush();
    byte[] bytes = out.toByteArray();

    // When read by both, Then the same values come out and both end together
    BinaryDecoder avro = at(bytes);
    BinaryInput direct = new BinaryInput(bytes, 0, bytes.length);
    for (long value : longs) {
      assertEquals(value, direct.readLong());
      assertEquals(avro.readLong(), value);
      assertEquals((int) value, direct.readInt());
      assertEquals(avro.readInt(), (int) value);
    }
    assertTrue(direct.isEnd() && avro.isEnd());
    // and a varint too long for its type is refused, as Avro refuses it
    byte[] eleven = new byte[11];
    Arrays.fill(eleven, (byte) 0x80);
    assertThrows(IOException.class, () -> new BinaryInput(eleven, 0, 11).readLong());
    assertThrows(IOException.class, () -> at(eleven).readLong());
    assertThrows(IOException.class, () -> new BinaryInput(eleven, 0, 11).readInt());
    assertThrows(IOException.class, () -> at(eleven).readInt());
  }

  @Test
  void shouldAnswerCorruptRecordsAsAvroAloneDoes() {
    // Given actions framed both ways, then truncated, extended, or with bytes overwritten (seeded)
    Random random = new Random(SEED);
    List<byte[]> records = new ArrayList<>();
    for (AgentAction action : actions().subList(0, 200)) {
      records.add(serde(registry).serializer().serialize(TOPIC, action));
      records.add(serde(null).serializer().serialize(TOPIC, action));
    }
    List<byte[]> corrupt = new ArrayList<>();
    for (byte[] record : records) {
      int header = record[0] == 0 ? 5 : 10;
      corrupt.add(Arrays.copyOf(record, header + random.nextInt(record.length - header)));
      corrupt.add(Arrays.copyOf(record, record.length + 1 + random.nextInt(3)));
      for (int flips = 1; flips <= 3; flips++) {
        byte[] changed = record.clone();
        for (int i = 0; i < flips; i++) {
          changed[header + random.nextInt(record.length - header)] = (byte) random.nextInt(256);
        }
        corrupt.add(changed);
      }
    }

    // When each is read with and without the direct codec, Then the answers are the same
    var direct = AvroSerde.forValues(AgentAction.class, registry).deserializer();
    var avroOnly = AvroSerde.avroOnly(AgentAction.class, registry).deserializer();
    int refused = 0;
    for (byte[] bytes : corrupt) {
      String expected = answer(() -> avroOnly.deserialize(TOPIC, bytes));
      assertEquals(expected, answer(() -> direct.deserialize(TOPIC, bytes)));
      refused += expected.startsWith("refused") ? 1 : 0;
    }
    // both kinds occur: a flipped byte inside a string's text still reads
    assertTrue(refused > corrupt.size() / 3 && refused < corrupt.size(), refused + " refused");
  }

  @Test
  void shouldRefuseToWriteWhatAvroRefusesWithAvrosReason() {
    // Given actions with a null where the schema has none
    List<Consumer<AgentAction>> breakages =
        List.of(
            a -> a.setEventId(null),
            a -> a.setTool(null),
            a -> a.setActionType(null),
            a -> a.getAttributes().put("k", null),
            a -> a.getCredential().getScopes().add(null),
            a -> a.getDelegation().get(0).setPrincipalType(null));
    for (Consumer<AgentAction> breakage : breakages) {
      AgentAction action = full(1);
      breakage.accept(action);

      // When each is written with and without the direct codec, Then both refuse alike
      String expected =
          answer(
              () ->
                  AvroSerde.avroOnly(AgentAction.class, null)
                      .serializer()
                      .serialize(TOPIC, action));
      assertTrue(expected.startsWith("refused"), expected);
      assertEquals(expected, answer(() -> serde(null).serializer().serialize(TOPIC, action)));
    }
    // and the serializer writes the next action whole
    var serializer = serde(null).serializer();
    AgentAction broken = full(2);
    broken.setTool(null);
    answer(() -> serializer.serialize(TOPIC, broken));
    AgentAction good = full(3);
    assertArrayEquals(
        AvroSerde.avroOnly(AgentAction.class, null).serializer().serialize(TOPIC, good),
        serializer.serialize(TOPIC, good));
  }

  @Test
  void shouldGiveAvrosAnswerWhereTheCodecGivesUpHalfWay() {
    // Given a codec that writes or reads part of a record and then gives up
    AvroSerde.DirectCodec<AgentAction> givesUp =
        new AvroSerde.DirectCodec<>() {
          @Override
          public AgentAction read(BinaryInput in) throws IOException {
            in.readString();
            throw new IOException("gave up");
          }

          @Override
          public void write(AgentAction value, BinaryEncoder out) throws IOException {
            out.writeString("half a record");
            throw new IOException("gave up");
          }
        };
    AgentAction action = full(5);
    byte[] expected =
        AvroSerde.avroOnly(AgentAction.class, null).serializer().serialize(TOPIC, action);

    // When a serde with it writes and reads, Then Avro's bytes and action come out
    byte[] written =
        new AvroSerde.AvroSerializer<>(SCHEMA, null, false, givesUp).serialize(TOPIC, action);
    assertArrayEquals(expected, written);
    AgentAction read =
        new AvroSerde.AvroDeserializer<>(SCHEMA, null, List.of(), givesUp)
            .deserialize(TOPIC, written);
    assertEquals(
        AvroSerde.avroOnly(AgentAction.class, null)
            .deserializer()
            .deserialize(TOPIC, written)
            .toString(),
        read.toString());
  }

  /** The same collection class, and for Avro's arrays the same schema. */
  private static void sameKind(Object byAvro, Object direct) {
    assertEquals(byAvro.getClass(), direct.getClass());
    if (byAvro instanceof GenericArray<?> array) {
      assertEquals(array.getSchema(), ((GenericArray<?>) direct).getSchema());
    }
  }

  private static AvroSerde<AgentAction> serde(SchemaRegistry registry) {
    return AvroSerde.forValues(AgentAction.class, registry);
  }

  private static String answer(java.util.function.Supplier<Object> call) {
    try {
      Object value = call.get();
      return value instanceof byte[] bytes ? Arrays.toString(bytes) : String.valueOf(value);
    } catch (SerializationException e) {
      return "refused: " + e.getMessage();
    } catch (RuntimeException e) {
      // Avro's writer throws its NullPointerException naming the field as it is
      return "refused: " + e;
    }
  }

  private static List<AgentAction> actions() {
    FleetSimulator fleet = new FleetSimulator(3, 12);
    List<AgentAction> actions = new ArrayList<>(fleet.traffic(NOW.minus(Duration.ofDays(3)), NOW));
    AttackScenarios.all(fleet, NOW).forEach(attack -> actions.addAll(attack.events()));
    actions.add(bare());
    for (int i = 0; i < 64; i++) {
      actions.add(full(i));
    }
    return actions;
  }

  /** Every optional field absent, every collection empty, the epoch's first millisecond before. */
  private static AgentAction bare() {
    return AgentAction.newBuilder()
        .setEventId("")
        .setOccurredAt(Instant.ofEpochMilli(-1))
        .setAgentId("a")
        .setTool("")
        .build();
  }

  /** Every field present, varied by {@code seed}: symbols, collection sizes, text, extremes. */
  private static AgentAction full(int seed) {
    Random random = new Random(SEED + seed);
    List<DelegationHop> hops = new ArrayList<>();
    for (int i = 0; i < seed % 4; i++) {
      hops.add(
          new DelegationHop(
              "principal-" + i + "-ü",
              PrincipalType.values()[(seed + i) % PrincipalType.values().length],
              i == 0 ? null : "principal-" + (i - 1),
              random.nextBoolean() ? null : "grant-" + random.nextInt(),
              strings(random, seed + i),
              random.nextBoolean() ? null : "ticket://" + seed,
              Instant.ofEpochMilli(random.nextLong() >> 20),
              random.nextBoolean() ? null : Instant.ofEpochMilli(random.nextInt())));
    }
    if (hops.isEmpty()) {
      hops.add(
          new DelegationHop("human", PrincipalType.HUMAN, null, null, List.of(), null, NOW, null));
    }
    Map<String, String> attributes = new LinkedHashMap<>();
    for (int i = 0; i < seed % 7; i++) {
      attributes.put("gen_ai.attr." + i + "·" + random.nextInt(100), "v".repeat(i * 40));
    }
    return AgentAction.newBuilder()
        .setEventId("e-" + seed + "-" + "x".repeat(seed * 3))
        .setOccurredAt(Instant.ofEpochMilli(seed % 2 == 0 ? random.nextLong() >> 20 : 0))
        .setAgentId("agent-" + seed)
        .setAgentVersion(seed % 3 == 0 ? null : "1." + seed)
        .setSessionId("s-" + seed)
        .setRequestRef(seed % 5 == 0 ? null : "forum://thread/" + seed)
        .setActionType(ActionType.values()[seed % ActionType.values().length])
        .setTool("tool.日本語." + seed)
        .setOperation(seed % 2 == 0 ? null : "post")
        .setResource(seed % 3 == 1 ? null : "repo://org/" + "r".repeat(seed * 5))
        .setOutcome(Outcome.values()[seed % Outcome.values().length])
        .setOutput(
            seed % 4 == 0
                ? null
                : new Output(
                    seed % 2 == 0 ? null : "forum",
                    seed % 3 == 0 ? null : "internal",
                    "ADVICE",
                    seed % 4 == 1 ? null : (long) random.nextInt() * (seed % 2 == 0 ? 1 : 1 << 20)))
        .setApproval(seed % 3 == 0 ? null : new Approval("human-" + seed, NOW.plusMillis(seed)))
        .setCredential(
            seed % 5 == 4
                ? null
                : new Credential(
                    "tok-" + seed,
                    seed % 2 == 0 ? null : "agent-" + seed,
                    seed % 3 == 0 ? null : NOW.minusSeconds(seed),
                    seed % 4 == 0 ? null : NOW.plusSeconds(seed * 60L),
                    strings(random, seed),
                    seed % 2 == 1 ? null : "s-" + seed,
                    seed % 3 == 2 ? null : "task-" + seed))
        .setDelegation(hops)
        .setAttributes(attributes)
        .build();
  }

  private static List<String> strings(Random random, int count) {
    List<String> strings = new ArrayList<>();
    for (int i = 0; i < count % 5; i++) {
      strings.add(i == 0 ? "" : "scope:" + random.nextInt(1000) + ":*");
    }
    return strings;
  }

  private static byte[] avroWrite(AgentAction action) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(out, null);
    new SpecificDatumWriter<AgentAction>(SCHEMA).write(action, encoder);
    encoder.flush();
    return out.toByteArray();
  }

  private static BinaryDecoder at(byte[] bytes) {
    return DecoderFactory.get().binaryDecoder(bytes, null);
  }
}
