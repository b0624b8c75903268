package dev.chaperone.streams.cli;

import dev.chaperone.schema.Alert;
import dev.chaperone.schema.DelegationHop;
import dev.chaperone.schema.Severity;
import dev.chaperone.schema.SignalExplanation;
import dev.chaperone.streams.config.ChaperoneConfig;
import dev.chaperone.streams.contract.JsonContractCodec;
import dev.chaperone.streams.registry.SchemaRegistries;
import dev.chaperone.streams.serde.AvroSerde;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code chaperone alerts tail}: follows the alert topic like a SOC console. One readable, coloured
 * line per alert; {@code --explain} for the whole story; {@code --json} for piping.
 */
@Command(
    name = "tail",
    mixinStandardHelpOptions = true,
    description = {
      "Follow the alert topic: one line per alert (time, severity, agent, rule, title).",
      "Reads committed alerts only. Stop with Ctrl-C, or with --max."
    })
final class AlertsTailCommand implements Callable<Integer> {

  @Mixin ClusterOptions cluster;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Option(
      names = "--from-beginning",
      description = "Start at the oldest alert still on the topic (default: new alerts only).")
  boolean fromBeginning;

  @Option(
      names = "--explain",
      description =
          "Print the explanation, signals, delegation chain, credential and response under each alert.")
  boolean explain;

  @Option(
      names = "--json",
      description = "Print each alert as one JSON line (the contract's JSON form).")
  boolean json;

  @Option(
      names = "--severity",
      paramLabel = "LEVEL",
      description = "Lowest severity to show: INFO, LOW, MEDIUM, HIGH, CRITICAL.")
  Severity minimum = Severity.INFO;

  @Option(names = "--agent", description = "Only these agents (repeatable).")
  List<String> agents = new ArrayList<>();

  @Option(names = "--owner", description = "Only agents of these owners (repeatable).")
  List<String> owners = new ArrayList<>();

  @Option(names = "--rule", description = "Only these rule ids (repeatable).")
  List<String> rules = new ArrayList<>();

  @Option(
      names = "--color",
      defaultValue = "auto",
      description = "Colour: auto, always or never (default ${DEFAULT-VALUE}).")
  String color;

  @Option(
      names = "--max",
      defaultValue = "0",
      description = "Stop after this many alerts (0: never).")
  long max;

  @Option(
      names = "--idle-timeout",
      description = "Stop when no alert arrived for this long (e.g. PT10S); default: never.")
  Duration idleTimeout;

  private final AtomicBoolean stopping = new AtomicBoolean();

  @Override
  public Integer call() {
    ChaperoneConfig config = new ChaperoneConfig(cluster.settings());
    PrintWriter out = spec.commandLine().getOut();
    boolean colour =
        color.equals("always") || (color.equals("auto") && System.console() != null && !json);
    var deserializer =
        AvroSerde.forValues(
                Alert.class,
                SchemaRegistries.forUrl(
                    config.schemaRegistryUrl(),
                    config.schemaRegistryBasicAuth(),
                    config.schemaRegistryBearerToken(),
                    config.schemaRegistryTimeout()))
            .deserializer();
    Properties props = config.clientProperties(ConsumerConfig.configNames());
    props.put(ConsumerConfig.GROUP_ID_CONFIG, "chaperone-tail-" + UUID.randomUUID());
    props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, fromBeginning ? "earliest" : "latest");
    props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    long shown = 0;
    try (KafkaConsumer<byte[], byte[]> consumer =
        new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      Thread hook =
          new Thread(
              () -> {
                stopping.set(true);
                consumer.wakeup();
              },
              "chaperone-tail-stop");
      Runtime.getRuntime().addShutdownHook(hook);
      consumer.subscribe(List.of(config.alertsTopic()));
      long lastAlert = System.nanoTime();
      try {
        while (!stopping.get() && (max == 0 || shown < max)) {
          for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(250))) {
            Alert alert;
            try {
              alert = deserializer.deserialize(record.topic(), record.value());
            } catch (SerializationException e) {
              spec.commandLine()
                  .getErr()
                  .printf(
                      "skipped an unreadable alert at %s-%d@%d: %s%n",
                      record.topic(), record.partition(), record.offset(), e.getMessage());
              continue;
            }
            lastAlert = System.nanoTime();
            if (alert == null || !matches(alert)) {
              continue;
            }
            print(out, alert, colour);
            shown++;
            if (max != 0 && shown >= max) {
              break;
            }
          }
          if (idleTimeout != null && System.nanoTime() - lastAlert > idleTimeout.toNanos()) {
            break;
          }
        }
      } catch (WakeupException e) {
        // Ctrl-C
      } finally {
        try {
          Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException shuttingDown) {
          // the JVM is already stopping
        }
      }
    }
    return 0;
  }

  boolean matches(Alert alert) {
    return alert.getSeverity().ordinal() >= minimum.ordinal()
        && (agents.isEmpty() || agents.contains(alert.getAgentId()))
        && (owners.isEmpty() || owners.contains(alert.getOwner()))
        && (rules.isEmpty() || rules.contains(alert.getRuleId()));
  }

  void print(PrintWriter out, Alert alert, boolean colour) {
    if (json) {
      out.println(JsonContractCodec.write(alert));
      out.flush();
      return;
    }
    out.println(line(alert, colour));
    if (explain) {
      for (String detail : details(alert)) {
        out.println("    " + detail);
      }
    }
    out.flush();
  }

  /** The one-line form: time, severity, agent, rule, title (and count for aggregated alerts). */
  static String line(Alert alert, boolean colour) {
    String severity = String.format("%-8s", alert.getSeverity());
    if (colour) {
      severity =
          switch (alert.getSeverity()) {
            case CRITICAL -> "\u001b[1;31m" + severity + "\u001b[0m";
            case HIGH -> "\u001b[31m" + severity + "\u001b[0m";
            case MEDIUM -> "\u001b[33m" + severity + "\u001b[0m";
            case LOW -> "\u001b[36m" + severity + "\u001b[0m";
            case INFO -> severity;
          };
    }
    String count = alert.getCount() > 1 ? " (×" + alert.getCount() + ")" : "";
    return String.format(
        Locale.ROOT,
        "%s %s %-24s %-28s %s%s",
        alert.getLastSeen(),
        severity,
        alert.getAgentId(),
        alert.getRuleId(),
        alert.getTitle(),
        count);
  }

  static List<String> details(Alert alert) {
    List<String> lines = new ArrayList<>();
    lines.add("why:      " + alert.getExplanation());
    if (alert.getScore() != null) {
      lines.add(String.format(Locale.ROOT, "score:    %.1fσ", alert.getScore()));
    }
    for (SignalExplanation s : alert.getSignals()) {
      lines.add(String.format(Locale.ROOT, "signal:   %s (%+.1fσ)", s.getText(), s.getSigma()));
    }
    if (!alert.getDelegation().isEmpty()) {
      StringBuilder chain = new StringBuilder();
      for (DelegationHop hop : alert.getDelegation()) {
        if (chain.length() > 0) {
          chain.append(" → ");
        }
        chain
            .append(hop.getPrincipal())
            .append(" (")
            .append(hop.getPrincipalType().name().toLowerCase(Locale.ROOT))
            .append(')');
      }
      lines.add("chain:    " + chain);
    }
    if (alert.getTokenId() != null) {
      lines.add("token:    " + alert.getTokenId());
    }
    lines.add(
        "owner:    "
            + (alert.getOwner() == null
                ? "unregistered"
                : alert.getOwner() + " (provisioned by " + alert.getProvisionedBy() + ")"));
    lines.add(
        "events:   "
            + alert.getEventIds()
            + (alert.getCount() > 1
                ? ", " + alert.getCount() + " occurrences since " + alert.getFirstSeen()
                : ""));
    if (alert.getRecommendedResponse() != null) {
      lines.add("respond:  " + alert.getRecommendedResponse());
    }
    lines.add(
        "tags:     "
            + String.join(", ", alert.getTags())
            + "   id "
            + alert.getAlertId()
            + "   config "
            + alert.getConfigVersion());
    return lines;
  }
}
