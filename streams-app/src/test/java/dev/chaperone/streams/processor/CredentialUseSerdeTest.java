package dev.chaperone.streams.processor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chaperone.schema.AgentAction;
import dev.chaperone.streams.TestActions;
import dev.chaperone.streams.serde.AvroSerde;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serializer;
import org.junit.jupiter.api.Test;

class CredentialUseSerdeTest {

  private static final String TOPIC = "chaperone-credential-uses-repartition";
  private final CredentialUseSerde serde = new CredentialUseSerde();
  private final AgentAction action =
      TestActions.action("e-1", "agent-ü", Instant.parse("2026-11-30T03:04:05.678Z"));

  @Test
  void shouldCarryTheCredentialAgentTimeAndActionThroughTheTopic() {
    Serializer<CredentialUse> out = serde.serializer();
    Deserializer<CredentialUse> in = serde.deserializer();

    CredentialUse token = in.deserialize(TOPIC, out.serialize(TOPIC, use("token:tok-1")));
    CredentialUse principal = in.deserialize(TOPIC, out.serialize(TOPIC, use("principal:p")));

    assertEquals("token:tok-1", token.credential());
    assertTrue(token.isToken());
    assertEquals("agent-ü", token.agentId());
    assertEquals(action.getOccurredAt().toEpochMilli(), token.occurredAtMs());
    assertEquals(action, token.action());
    // the second use of the same action reuses its encoding: it must still be the whole action
    assertEquals("principal:p", principal.credential());
    assertEquals(action, principal.action());
    assertNull(out.serialize(TOPIC, null));
    assertNull(in.deserialize(TOPIC, null));
  }

  @Test
  void shouldEncodeEachActionAfresh() {
    Serializer<CredentialUse> out = serde.serializer();
    AgentAction other = TestActions.action("e-2", "agent-2", Instant.parse("2026-11-30T04:00:00Z"));

    out.serialize(TOPIC, use("token:a"));
    CredentialUse read =
        serde
            .deserializer()
            .deserialize(TOPIC, out.serialize(TOPIC, new CredentialUse("token:b", other)));

    assertEquals(other, read.action());
    assertEquals("agent-2", read.agentId());
  }

  @Test
  void shouldServeSeveralStreamThreadsAtOnce() throws Exception {
    // Kafka Streams shares one serializer between its stream threads
    Serializer<CredentialUse> out = serde.serializer();
    Deserializer<CredentialUse> in = serde.deserializer();
    int perThread = 20_000;
    ExecutorService threads = Executors.newFixedThreadPool(2);
    try {
      List<Future<Integer>> results = new ArrayList<>();
      for (int t = 0; t < 2; t++) {
        String agent = "agent-" + t + "-" + "x".repeat(t * 40); // sizes differ per thread
        results.add(
            threads.submit(
                () -> {
                  int wrong = 0;
                  for (int i = 0; i < perThread; i++) {
                    AgentAction mine =
                        TestActions.action("e-" + i, agent, Instant.ofEpochMilli(1_000_000L + i));
                    CredentialUse read =
                        in.deserialize(
                            TOPIC, out.serialize(TOPIC, new CredentialUse("token:t", mine)));
                    // by fields: AgentAction.equals needs Avro's conversions, set up per thread
                    if (!read.agentId().equals(agent)
                        || !read.action().getAgentId().equals(agent)
                        || !read.action().getEventId().equals(mine.getEventId())) {
                      wrong++;
                    }
                  }
                  return wrong;
                }));
      }
      for (Future<Integer> result : results) {
        assertEquals(0, result.get(), "uses serialized as another thread's action");
      }
    } finally {
      threads.shutdownNow();
    }
  }

  @Test
  void shouldReadTheVersionOneRecordsAnEarlierReleaseLeftInTheTopic() {
    byte[] key = "token:tok-1".getBytes(StandardCharsets.UTF_8);
    byte[] encoded =
        AvroSerde.forValues(AgentAction.class, null).serializer().serialize(TOPIC, action);
    byte[] v1 =
        ByteBuffer.allocate(2 + key.length + encoded.length)
            .putShort((short) key.length)
            .put(key)
            .put(encoded)
            .array();

    CredentialUse read = serde.deserializer().deserialize(TOPIC, v1);

    assertEquals("token:tok-1", read.credential());
    assertEquals("agent-ü", read.agentId());
    assertEquals(action.getOccurredAt().toEpochMilli(), read.occurredAtMs());
    assertEquals(action, read.action());
  }

  @Test
  void shouldRejectTruncatedRecordsSayingWhatIsMissing() {
    byte[] whole = serde.serializer().serialize(TOPIC, use("token:tok-1"));
    Deserializer<CredentialUse> in = serde.deserializer();

    SerializationException header =
        assertThrows(SerializationException.class, () -> in.deserialize(TOPIC, new byte[1]));
    assertTrue(header.getMessage().contains("header"), header.getMessage());
    SerializationException key =
        assertThrows(
            SerializationException.class, () -> in.deserialize(TOPIC, Arrays.copyOf(whole, 8)));
    assertTrue(key.getMessage().contains("credential key"), key.getMessage());
    int beforeTime =
        2 + 2 + "token:tok-1".length() + 2 + "agent-ü".getBytes(StandardCharsets.UTF_8).length;
    SerializationException time =
        assertThrows(
            SerializationException.class,
            () -> in.deserialize(TOPIC, Arrays.copyOf(whole, beforeTime + 3)));
    assertTrue(time.getMessage().contains("time"), time.getMessage());
    // a cut in the action itself shows when the action is read, as the decoder's error
    CredentialUse cut = in.deserialize(TOPIC, Arrays.copyOf(whole, whole.length - 5));
    assertEquals("agent-ü", cut.agentId());
    assertThrows(SerializationException.class, cut::action);
  }

  private CredentialUse use(String credential) {
    return new CredentialUse(credential, action);
  }
}
