package dev.chaperone.streams.cli;

import dev.chaperone.schema.Alert;
import dev.chaperone.schema.AlertFeedback;
import dev.chaperone.schema.Verdict;
import dev.chaperone.streams.config.ChaperoneConfig;
import dev.chaperone.streams.registry.SchemaRegistries;
import dev.chaperone.streams.registry.SchemaRegistry;
import dev.chaperone.streams.serde.AvroSerde;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.Callable;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code chaperone alerts feedback}: an analyst's verdict on an alert. */
@Command(
    name = "feedback",
    mixinStandardHelpOptions = true,
    description = {
      "Record an analyst's verdict on an alert. FALSE_POSITIVE and EXPECTED_CHANGE release the agent's held-back events into its",
      "baseline (and --suppress quiets the rule for the agent for a while); TRUE_POSITIVE keeps them out for good."
    })
final class AlertsFeedbackCommand implements Callable<Integer> {

  @Mixin ClusterOptions cluster;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Parameters(index = "0", paramLabel = "ALERT_ID", description = "The alert's id.")
  String alertId;

  @Option(
      names = "--verdict",
      required = true,
      description = "TRUE_POSITIVE, FALSE_POSITIVE or EXPECTED_CHANGE.")
  Verdict verdict;

  @Option(names = "--note", description = "Why, for the record.")
  String note;

  @Option(names = "--analyst", description = "Who decides (default: the user name).")
  String analyst = System.getProperty("user.name", "analyst");

  @Option(
      names = "--agent",
      description = "The alert's agent; looked up on the alert topic when left out.")
  String agent;

  @Option(
      names = "--rule",
      description = "The alert's rule; looked up on the alert topic when left out.")
  String rule;

  @Option(
      names = "--suppress",
      description =
          "Quiet this rule for this agent for so long (e.g. PT4H); false positives and expected changes only.")
  Duration suppress;

  @Option(
      names = "--lookup-timeout",
      defaultValue = "PT30S",
      description = "How long to search the alert topic (default ${DEFAULT-VALUE}).")
  Duration lookupTimeout;

  @Override
  public Integer call() {
    ChaperoneConfig config = new ChaperoneConfig(cluster.settings());
    SchemaRegistry registry =
        SchemaRegistries.forUrl(
            config.schemaRegistryUrl(),
            config.schemaRegistryBasicAuth(),
            config.schemaRegistryBearerToken(),
            config.schemaRegistryTimeout());
    if (suppress != null && verdict == Verdict.TRUE_POSITIVE) {
      throw new CommandLine.ParameterException(
          spec.commandLine(),
          "--suppress goes with FALSE_POSITIVE or EXPECTED_CHANGE, not TRUE_POSITIVE");
    }
    if (agent == null || rule == null) {
      Alert alert = find(config, registry);
      if (alert == null) {
        spec.commandLine()
            .getErr()
            .println(
                "alert "
                    + alertId
                    + " not found on "
                    + config.alertsTopic()
                    + " within "
                    + lookupTimeout
                    + "; name it with --agent and --rule");
        return 1;
      }
      agent = alert.getAgentId();
      rule = alert.getRuleId();
    }
    AlertFeedback feedback =
        AlertFeedback.newBuilder()
            .setAlertId(alertId)
            .setAgentId(agent)
            .setRuleId(rule)
            .setVerdict(verdict)
            .setAnalyst(analyst)
            .setNote(note)
            .setDecidedAt(Instant.now())
            .setSuppressForMs(suppress == null ? null : suppress.toMillis())
            .build();
    Properties props = config.clientProperties(ProducerConfig.configNames());
    props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    try (KafkaProducer<byte[], byte[]> producer =
        new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer())) {
      producer
          .send(
              new ProducerRecord<>(
                  config.feedbackTopic(),
                  alertId.getBytes(StandardCharsets.UTF_8),
                  AvroSerde.forValues(AlertFeedback.class, registry)
                      .serializer()
                      .serialize(config.feedbackTopic(), feedback)))
          .get();
    } catch (Exception e) {
      spec.commandLine().getErr().println("cannot send the verdict: " + e.getMessage());
      return 1;
    }
    spec.commandLine()
        .getOut()
        .println(
            "Recorded "
                + verdict
                + " on alert "
                + alertId
                + " ("
                + rule
                + ", agent "
                + agent
                + ").");
    return 0;
  }

  private Alert find(ChaperoneConfig config, SchemaRegistry registry) {
    Properties props = config.clientProperties(ConsumerConfig.configNames());
    props.put(ConsumerConfig.GROUP_ID_CONFIG, "chaperone-feedback-" + UUID.randomUUID());
    props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    var deserializer = AvroSerde.forValues(Alert.class, registry).deserializer();
    try (KafkaConsumer<byte[], byte[]> consumer =
        new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      consumer.subscribe(List.of(config.alertsTopic()));
      long deadline = System.nanoTime() + lookupTimeout.toNanos();
      while (System.nanoTime() < deadline) {
        for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(200))) {
          try {
            Alert alert = deserializer.deserialize(record.topic(), record.value());
            if (alert != null && alert.getAlertId().equals(alertId)) {
              return alert;
            }
          } catch (RuntimeException unreadable) {
            // not this one
          }
        }
      }
    }
    return null;
  }
}
