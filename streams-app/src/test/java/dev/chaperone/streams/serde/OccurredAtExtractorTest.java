package dev.chaperone.streams.serde;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.chaperone.schema.AgentAction;
import dev.chaperone.streams.TestActions;
import dev.chaperone.streams.registry.MockSchemaRegistry;
import java.time.Duration;
import java.time.Instant;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class OccurredAtExtractorTest {

  private static final String TOPIC = "chaperone.agent-actions";
  private static final long PRODUCED = 1_800_000_000_000L;
  private final MockSchemaRegistry registry = MockSchemaRegistry.forScope("extractor-test");
  private final OccurredAtExtractor extractor =
      new OccurredAtExtractor(registry, Duration.ofMinutes(10).toMillis());

  @AfterEach
  void drop() {
    MockSchemaRegistry.dropScope("extractor-test");
  }

  private long extract(byte[] value) {
    ConsumerRecord<Object, Object> record =
        new ConsumerRecord<>(
            TOPIC,
            0,
            0,
            PRODUCED,
            org.apache.kafka.common.record.TimestampType.CREATE_TIME,
            0,
            value == null ? 0 : value.length,
            null,
            value,
            new org.apache.kafka.common.header.internals.RecordHeaders(),
            java.util.Optional.empty());
    return extractor.extract(record, PRODUCED - 1);
  }

  @Test
  void shouldReadTheEventTimeOfBothFramings() {
    Instant occurred = Instant.parse("2026-10-01T08:30:15.123Z");
    AgentAction action = TestActions.action("e-1", "agent-1", occurred);

    assertEquals(
        occurred.toEpochMilli(),
        extract(
            AvroSerde.forValues(AgentAction.class, registry)
                .serializer()
                .serialize(TOPIC, action)));
    assertEquals(
        occurred.toEpochMilli(),
        extract(
            AvroSerde.forValues(AgentAction.class, null).serializer().serialize(TOPIC, action)));
  }

  @Test
  void shouldFallBackToTheRecordTimestampForBadOrImplausibleTimes() {
    AgentAction future =
        TestActions.action("e-2", "agent-1", Instant.now().plus(Duration.ofDays(365)));
    AgentAction negative = TestActions.action("e-3", "agent-1", Instant.ofEpochMilli(-5));

    assertEquals(PRODUCED, extract(new byte[] {0x7B, 0x22}));
    assertEquals(PRODUCED, extract(new byte[0]));
    assertEquals(PRODUCED, extract(null));
    assertEquals(PRODUCED, extract(new byte[] {0, 0, 0, 0x7F, 0x7F}));
    assertEquals(
        PRODUCED,
        extract(
            AvroSerde.forValues(AgentAction.class, null).serializer().serialize(TOPIC, future)));
    assertEquals(
        PRODUCED,
        extract(
            AvroSerde.forValues(AgentAction.class, null).serializer().serialize(TOPIC, negative)));
  }
}
