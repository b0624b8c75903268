package dev.chaperone.streams.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chaperone.schema.AgentAction;
import dev.chaperone.schema.Alert;
import dev.chaperone.schema.Credential;
import dev.chaperone.streams.ChaperoneApp;
import dev.chaperone.streams.KafkaTestSupport;
import dev.chaperone.streams.TestActions;
import dev.chaperone.streams.config.ChaperoneConfig;
import dev.chaperone.streams.embedded.EmbeddedKafka;
import dev.chaperone.streams.metrics.ChaperoneMetrics;
import dev.chaperone.streams.registry.MockSchemaRegistry;
import dev.chaperone.streams.serde.AvroSerde;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code chaperone config} against a running app on a real broker: a valid change is produced and
 * applied without a restart (the next alert names it), an invalid one is refused before it is
 * produced, and get and history read the topic back.
 */
class ConfigCommandIT {

  private static final String SCOPE = "config-it";

  @TempDir Path state;

  private record Run(int code, String out, String err) {}

  private static Run cli(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cli = new CommandLine(new ChaperoneCli());
    cli.setOut(new PrintWriter(out, true));
    cli.setErr(new PrintWriter(err, true));
    int code = cli.execute(args);
    return new Run(code, out.toString(), err.toString());
  }

  @Test
  void shouldValidateProduceAndApplyAConfigChangeWithoutARestart() throws Exception {
    try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
      Map<String, Object> settings = new HashMap<>();
      settings.put(ChaperoneConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
      settings.put(ChaperoneConfig.APPLICATION_ID_CONFIG, "config-it");
      settings.put(ChaperoneConfig.SCHEMA_REGISTRY_URL_CONFIG, "mock://" + SCOPE);
      settings.put(StreamsConfig.STATE_DIR_CONFIG, state.toString());
      settings.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 100);
      try (ChaperoneApp app =
          new ChaperoneApp(new ChaperoneConfig(settings), ChaperoneMetrics.inMemory())) {
        app.start();
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (app.streams().state() != KafkaStreams.State.RUNNING) {
          assertTrue(System.nanoTime() < deadline, "app RUNNING");
          Thread.sleep(100);
        }
        String[] cluster = {
          "--bootstrap-servers",
          kafka.bootstrapServers(),
          "--schema-registry-url",
          "mock://" + SCOPE
        };

        // When a valid change is set, then an invalid one
        Run valid =
            cli(
                concat(
                    new String[] {
                      "config", "set", "global", "eventThresholdSigma=3.5", "--by", "ops.jane"
                    },
                    cluster));
        Run invalid =
            cli(concat(new String[] {"config", "set", "global", "warmupDays=-1"}, cluster));
        Run unknown = cli(concat(new String[] {"config", "set", "global", "colour=blue"}, cluster));

        // Then the valid one is produced; the others are refused with their reasons, unproduced
        assertEquals(0, valid.code(), valid.err());
        assertTrue(valid.out().contains("\"eventThresholdSigma\":3.5"), valid.out());
        assertEquals(ConfigCommand.INVALID, invalid.code());
        assertTrue(invalid.err().contains("warmupDays"), invalid.err());
        assertEquals(ConfigCommand.INVALID, unknown.code());
        assertTrue(unknown.err().contains("unknown key 'colour'"), unknown.err());
        Run history = cli(concat(new String[] {"config", "history"}, cluster));
        assertEquals(1, history.out().lines().count(), history.out());
        Run get = cli(concat(new String[] {"config", "get", "global"}, cluster));
        assertTrue(get.out().contains("\"updatedBy\":\"ops.jane\""), get.out());

        // And the running app applies it: the next alert names the global config it was made under
        produceWildcardAction(kafka);
        List<Alert> alerts =
            KafkaTestSupport.readUntilQuiet(
                kafka.bootstrapServers(),
                "chaperone.alerts",
                AvroSerde.forValues(Alert.class, MockSchemaRegistry.forScope(SCOPE)).deserializer(),
                Duration.ofSeconds(3));
        assertTrue(
            alerts.stream()
                .anyMatch(
                    a ->
                        a.getConfigVersion() != null && a.getConfigVersion().startsWith("global@")),
            alerts.toString());
      } finally {
        MockSchemaRegistry.dropScope(SCOPE);
      }
    }
  }

  private static void produceWildcardAction(EmbeddedKafka kafka) {
    AgentAction action =
        AgentAction.newBuilder(TestActions.action("e-1", "agent-x", Instant.now()))
            .setCredential(
                Credential.newBuilder(
                        TestActions.action("e-1", "agent-x", Instant.now()).getCredential())
                    .setScopes(List.of("write:*"))
                    .build())
            .build();
    Properties props = new Properties();
    props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
    // one batch in flight: right after topic creation a refused first batch would let later ones
    // arrive out of sequence, which the broker refuses until the delivery timeout (2 min)
    props.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 1);
    try (KafkaProducer<byte[], byte[]> producer =
        new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer())) {
      producer.send(
          new ProducerRecord<>(
              "chaperone.agent-actions",
              "agent-x".getBytes(StandardCharsets.UTF_8),
              AvroSerde.forValues(AgentAction.class, MockSchemaRegistry.forScope(SCOPE))
                  .serializer()
                  .serialize("chaperone.agent-actions", action)));
    }
  }

  private static String[] concat(String[] a, String[] b) {
    String[] out = new String[a.length + b.length];
    System.arraycopy(a, 0, out, 0, a.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }
}
