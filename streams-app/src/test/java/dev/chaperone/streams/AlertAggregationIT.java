package dev.chaperone.streams;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chaperone.alerting.Rule;
import dev.chaperone.schema.AgentAction;
import dev.chaperone.schema.AgentRegistration;
import dev.chaperone.schema.Alert;
import dev.chaperone.schema.Credential;
import dev.chaperone.streams.config.ChaperoneConfig;
import dev.chaperone.streams.embedded.EmbeddedKafka;
import dev.chaperone.streams.metrics.ChaperoneMetrics;
import dev.chaperone.streams.registry.MockSchemaRegistry;
import dev.chaperone.streams.serde.AvroSerde;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Aggregation without loss on a real broker: 100 repeats of one rule for one agent within the
 * suppression window, with the app restarted half way (on a fresh state directory, so the aggregate
 * is restored from its changelog), give one alert and its updates, the last with count 100.
 */
class AlertAggregationIT {

  private static final String SCOPE = "aggregation-it";
  private static final String AGENT = "forum-troubleshooter";

  @TempDir Path state;

  @Test
  void shouldTurnAHundredRepeatsIntoOneAlertWithItsUpdatesAcrossARestart() throws Exception {
    Instant start =
        Instant.now().minus(Duration.ofHours(5)).truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
    try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
      MockSchemaRegistry registry = MockSchemaRegistry.forScope(SCOPE);
      DetectionHarness builder = new DetectionHarness();
      double findings = 0;
      // Given 50 repeats, processed by one run of the app
      findings +=
          run(
              kafka,
              "first",
              () -> {
                produce(
                    kafka,
                    registry,
                    DetectionHarness.registration(AGENT),
                    wildcards(builder, start, 0, 50));
              });
      // When a second run (its state directory wiped) sees 50 more, then an event three hours later
      findings +=
          run(
              kafka,
              "second",
              () -> {
                List<AgentAction> more = new ArrayList<>(wildcards(builder, start, 50, 100));
                more.add(builder.action(AGENT, start.plus(Duration.ofHours(3))).build());
                produce(kafka, registry, null, more);
              });
      builder.close();

      // Then one alert went out at once and was updated at 2, 4, …, 64 and at 100 when its window
      // closed
      List<Alert> wildcard =
          readAlerts(kafka, registry).stream()
              .filter(a -> a.getRuleId().equals(Rule.CREDENTIAL_WILDCARD_SCOPE.name()))
              .toList();
      assertEquals(100.0, findings);
      assertEquals(
          List.of(1L, 2L, 4L, 8L, 16L, 32L, 64L, 100L),
          wildcard.stream().map(Alert::getCount).toList());
      assertEquals(1, wildcard.stream().map(Alert::getAlertId).distinct().count());
      assertFalse(wildcard.get(0).getUpdate());
      assertTrue(wildcard.subList(1, wildcard.size()).stream().allMatch(Alert::getUpdate));
      Alert last = wildcard.get(wildcard.size() - 1);
      assertEquals(start, last.getFirstSeen());
      assertEquals(start.plus(Duration.ofSeconds(99 * 20L)), last.getLastSeen());
      assertTrue(
          last.getEventIds().size() <= 10
              && last.getEventIds().contains(wildcard.get(0).getEventIds().get(0)));
    } finally {
      MockSchemaRegistry.dropScope(SCOPE);
    }
  }

  private double run(EmbeddedKafka kafka, String name, Runnable input) throws Exception {
    Map<String, Object> settings = new HashMap<>();
    settings.put(ChaperoneConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
    settings.put(ChaperoneConfig.APPLICATION_ID_CONFIG, "aggregation-it");
    settings.put(ChaperoneConfig.SCHEMA_REGISTRY_URL_CONFIG, "mock://" + SCOPE);
    settings.put(ChaperoneConfig.TOPICS_PARTITIONS_CONFIG, 1);
    settings.put(StreamsConfig.STATE_DIR_CONFIG, state.resolve(name).toString());
    settings.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 100);
    // The second run joins the group the first left without saying goodbye: keep the wait short.
    settings.put(StreamsConfig.consumerPrefix("session.timeout.ms"), 6_000);
    ChaperoneMetrics metrics = ChaperoneMetrics.inMemory();
    try (ChaperoneApp app = new ChaperoneApp(new ChaperoneConfig(settings), metrics)) {
      app.start();
      input.run();
      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      double expected = name.equals("first") ? 50 : 51;
      while (metrics.total(ChaperoneMetrics.SCORED) < expected && System.nanoTime() < deadline) {
        Thread.sleep(100);
      }
      assertEquals(expected, metrics.total(ChaperoneMetrics.SCORED));
      Thread.sleep(500); // one more commit interval
    }
    return metrics.count(
        ChaperoneMetrics.FINDINGS,
        ChaperoneMetrics.TAG_RULE,
        Rule.CREDENTIAL_WILDCARD_SCOPE.name());
  }

  private static List<AgentAction> wildcards(
      DetectionHarness builder, Instant start, int from, int to) {
    List<AgentAction> out = new ArrayList<>();
    for (int i = from; i < to; i++) {
      AgentAction.Builder a = builder.action(AGENT, start.plus(Duration.ofSeconds(i * 20L)));
      out.add(
          a.setCredential(
                  Credential.newBuilder(a.getCredential()).setScopes(List.of("write:*")).build())
              .build());
    }
    return out;
  }

  private static void produce(
      EmbeddedKafka kafka,
      MockSchemaRegistry registry,
      AgentRegistration registration,
      List<AgentAction> actions) {
    Properties props = new Properties();
    props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
    // one batch in flight: right after topic creation a refused first batch would let later ones
    // arrive out of sequence, which the broker refuses until the delivery timeout (2 min)
    props.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 1);
    try (KafkaProducer<byte[], byte[]> producer =
        new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer())) {
      if (registration != null) {
        producer.send(
            new ProducerRecord<>(
                "chaperone.agent-registry",
                AGENT.getBytes(StandardCharsets.UTF_8),
                AvroSerde.forValues(AgentRegistration.class, registry)
                    .serializer()
                    .serialize("chaperone.agent-registry", registration)));
        producer.flush();
      }
      var serializer = AvroSerde.forValues(AgentAction.class, registry).serializer();
      for (AgentAction action : actions) {
        producer.send(
            new ProducerRecord<>(
                "chaperone.agent-actions",
                AGENT.getBytes(StandardCharsets.UTF_8),
                serializer.serialize("chaperone.agent-actions", action)));
      }
    }
  }

  private static List<Alert> readAlerts(EmbeddedKafka kafka, MockSchemaRegistry registry) {
    return KafkaTestSupport.readUntilQuiet(
        kafka.bootstrapServers(),
        "chaperone.alerts",
        AvroSerde.forValues(Alert.class, registry).deserializer(),
        Duration.ofSeconds(2));
  }
}
