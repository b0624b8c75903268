package dev.chaperone.streams.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.chaperone.schema.AgentAction;
import dev.chaperone.schema.AgentRegistration;
import dev.chaperone.schema.Alert;
import dev.chaperone.streams.ChaperoneApp;
import dev.chaperone.streams.KafkaTestSupport;
import dev.chaperone.streams.config.ChaperoneConfig;
import dev.chaperone.streams.embedded.EmbeddedKafka;
import dev.chaperone.streams.metrics.ChaperoneMetrics;
import dev.chaperone.streams.registry.MockSchemaRegistry;
import dev.chaperone.streams.serde.AvroSerde;
import dev.chaperone.streams.sim.SampleFleet;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code alerts tail --json} attached to a running app prints the alerts the app emits, in order.
 */
class AlertsTailIT {

  private static final String SCOPE = "alerts-tail-it";

  @TempDir Path state;

  @Test
  void shouldPrintTheAlertsTheAppEmitsInOrder() throws Exception {
    try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
      MockSchemaRegistry registry = MockSchemaRegistry.forScope(SCOPE);
      ChaperoneConfig config =
          new ChaperoneConfig(
              Map.of(
                  ChaperoneConfig.BOOTSTRAP_SERVERS_CONFIG,
                  kafka.bootstrapServers(),
                  ChaperoneConfig.APPLICATION_ID_CONFIG,
                  "tail-it",
                  ChaperoneConfig.SCHEMA_REGISTRY_URL_CONFIG,
                  "mock://" + SCOPE,
                  ChaperoneConfig.TOPICS_PARTITIONS_CONFIG,
                  1,
                  StreamsConfig.STATE_DIR_CONFIG,
                  state.toString(),
                  StreamsConfig.COMMIT_INTERVAL_MS_CONFIG,
                  100));
      ChaperoneMetrics metrics = ChaperoneMetrics.inMemory();
      try (ChaperoneApp app = new ChaperoneApp(config, metrics)) {
        app.start();
        // Given a running app that raised alerts: three agents, one unregistered, wildcard tokens
        produce(kafka, config, registry);
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (metrics.total(ChaperoneMetrics.SCORED) < 40 && System.nanoTime() < deadline) {
          Thread.sleep(100);
        }
        List<String> fromTopic = readAlertIds(kafka, config, registry);
        assertTrue(fromTopic.size() >= 5, "alerts raised: " + fromTopic);

        // When a console attaches with --json --from-beginning
        StringWriter printed = new StringWriter();
        CommandLine cli = new CommandLine(new ChaperoneCli());
        cli.setOut(new PrintWriter(printed, true));
        CompletableFuture<Integer> tail =
            CompletableFuture.supplyAsync(
                () ->
                    cli.execute(
                        "alerts",
                        "tail",
                        "--bootstrap-servers",
                        kafka.bootstrapServers(),
                        "--schema-registry-url",
                        "mock://" + SCOPE,
                        "--json",
                        "--from-beginning",
                        "--max",
                        Integer.toString(fromTopic.size()),
                        "--idle-timeout",
                        "PT30S"));

        // Then it prints exactly the alerts the app emitted, in the topic's order
        assertEquals(0, tail.get(60, TimeUnit.SECONDS));
        List<String> fromTail = new ArrayList<>();
        ObjectMapper json = new ObjectMapper();
        for (String line : printed.toString().split("\n")) {
          if (!line.isBlank()) {
            fromTail.add(
                json.readTree(line).path("alertId").asText()
                    + "#"
                    + json.readTree(line).path("count").asLong());
          }
        }
        assertEquals(fromTopic, fromTail);
        assertTrue(
            printed.toString().contains("\"ruleId\":\"UNREGISTERED_AGENT\""), printed.toString());

        // And an analyst's verdict on one of them, its agent and rule looked up on the topic,
        // reaches the app
        String firstAlert = fromTail.get(0).substring(0, fromTail.get(0).indexOf('#'));
        StringWriter said = new StringWriter();
        CommandLine feedback = new CommandLine(new ChaperoneCli());
        feedback.setOut(new PrintWriter(said, true));
        int code =
            feedback.execute(
                "alerts",
                "feedback",
                firstAlert,
                "--verdict",
                "FALSE_POSITIVE",
                "--note",
                "known test agent",
                "--bootstrap-servers",
                kafka.bootstrapServers(),
                "--schema-registry-url",
                "mock://" + SCOPE);
        assertEquals(0, code, said.toString());
        assertTrue(
            said.toString().startsWith("Recorded FALSE_POSITIVE on alert " + firstAlert),
            said.toString());
        long feedbackDeadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (metrics.total(ChaperoneMetrics.FEEDBACK) < 1
            && System.nanoTime() < feedbackDeadline) {
          Thread.sleep(100);
        }
        assertEquals(1.0, metrics.total(ChaperoneMetrics.FEEDBACK));
      }
    } finally {
      MockSchemaRegistry.dropScope(SCOPE);
    }
  }

  private static void produce(
      EmbeddedKafka kafka, ChaperoneConfig config, MockSchemaRegistry registry) {
    Properties props = new Properties();
    props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
    // one batch in flight: right after topic creation a refused first batch would let later ones
    // arrive out of sequence, which the broker refuses until the delivery timeout (2 min)
    props.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 1);
    Instant start = Instant.now().minus(Duration.ofHours(2));
    List<AgentAction> actions = new SampleFleet(3, 3, start).actions(40);
    try (KafkaProducer<byte[], byte[]> producer =
        new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer())) {
      for (int i = 0; i < 2; i++) {
        AgentRegistration r = SampleFleet.registration(i, start.minus(Duration.ofDays(10)));
        producer.send(
            new ProducerRecord<>(
                config.registryTopic(),
                r.getAgentId().getBytes(StandardCharsets.UTF_8),
                AvroSerde.forValues(AgentRegistration.class, registry)
                    .serializer()
                    .serialize(config.registryTopic(), r)));
      }
      producer.flush();
      var serializer = AvroSerde.forValues(AgentAction.class, registry).serializer();
      int wildcards = 0;
      for (AgentAction action : actions) {
        if (!action.getAgentId().equals(SampleFleet.agentId(2)) && wildcards < 11) {
          action =
              AgentAction.newBuilder(action)
                  .setCredential(
                      dev.chaperone.schema.Credential.newBuilder(action.getCredential())
                          .setScopes(List.of("*"))
                          .build())
                  .build();
          wildcards++;
        }
        producer.send(
            new ProducerRecord<>(
                config.actionsTopic(),
                action.getAgentId().getBytes(StandardCharsets.UTF_8),
                serializer.serialize(config.actionsTopic(), action)));
      }
    }
  }

  private static List<String> readAlertIds(
      EmbeddedKafka kafka, ChaperoneConfig config, MockSchemaRegistry registry) {
    return KafkaTestSupport.readUntilQuiet(
            kafka.bootstrapServers(),
            config.alertsTopic(),
            AvroSerde.forValues(Alert.class, registry).deserializer(),
            Duration.ofSeconds(3))
        .stream()
        .map(alert -> alert.getAlertId() + "#" + alert.getCount())
        .toList();
  }
}
