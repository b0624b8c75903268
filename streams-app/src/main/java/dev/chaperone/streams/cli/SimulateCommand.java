package dev.chaperone.streams.cli;

import dev.chaperone.schema.AgentAction;
import dev.chaperone.schema.AgentRegistration;
import dev.chaperone.streams.config.ChaperoneConfig;
import dev.chaperone.streams.contract.JsonContractCodec;
import dev.chaperone.streams.registry.SchemaRegistries;
import dev.chaperone.streams.registry.SchemaRegistry;
import dev.chaperone.streams.serde.AvroSerde;
import dev.chaperone.streams.sim.AttackScenarios;
import dev.chaperone.streams.sim.AttackScenarios.Scenario;
import dev.chaperone.streams.sim.FleetSimulator;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.concurrent.Callable;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serializer;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code chaperone simulate}: the demo's fleet producing to a real cluster, for trying Chaperone on
 * staging: registrations, then {@code --days-of-history} days of history as fast as the cluster
 * takes them, then live traffic at {@code --rate} events/s with the chosen attacks played among it,
 * until {@code --duration} is over. With {@code --events-file}, the same fleet is written to files
 * instead, as a trace for {@code chaperone replay}: no cluster is needed.
 */
@Command(
    name = "simulate",
    mixinStandardHelpOptions = true,
    description =
        "Produce a simulated fleet (registrations, history, live traffic, attacks) to a Kafka cluster.")
final class SimulateCommand implements Callable<Integer> {

  @Mixin ClusterOptions cluster;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Option(
      names = "--agents",
      defaultValue = "50",
      description = "Registered agents (default ${DEFAULT-VALUE}).")
  int agents;

  @Option(
      names = "--rate",
      defaultValue = "50",
      description = "Live events per second (default ${DEFAULT-VALUE}).")
  int rate;

  @Option(
      names = "--days-of-history",
      defaultValue = "30",
      description = "Days of history produced first (default ${DEFAULT-VALUE}; 0 for none).")
  int days;

  @Option(
      names = "--scenarios",
      split = ",",
      description =
          "Attacks to play live, comma-separated (default: all): ${COMPLETION-CANDIDATES}",
      completionCandidates = ScenarioNames.class)
  List<String> scenarios;

  @Option(
      names = "--duration",
      defaultValue = "PT5M",
      description = "How long to produce live traffic (default ${DEFAULT-VALUE}).")
  Duration duration;

  @Option(
      names = "--registry-lead",
      defaultValue = "PT5S",
      description =
          "How long to wait after registering the fleet before its first action (default"
              + " ${DEFAULT-VALUE}): detectors already running read the registry apart from the"
              + " actions, and flag an action that comes before its agent's registration reached"
              + " them as UNREGISTERED_AGENT.")
  Duration registryLead;

  @Option(names = "--seed", defaultValue = "42", description = "Seed of the simulation.")
  long seed;

  @Option(
      names = "--events-file",
      paramLabel = "FILE",
      description =
          "Write the history and then the chosen attacks as AgentAction JSON lines to FILE"
              + " instead of producing to a cluster (a trace for `chaperone replay`; --rate and"
              + " --duration do not apply).")
  Path eventsFile;

  @Option(
      names = "--registry-file",
      paramLabel = "FILE",
      description = "With --events-file: the registrations as AgentRegistration JSON lines.")
  Path registryFile;

  /** The scenario names, for the help text. */
  static final class ScenarioNames extends ArrayList<String> {
    ScenarioNames() {
      super(AttackScenarios.NAMES);
    }
  }

  @Override
  public Integer call() throws Exception {
    if (rate < 1 || agents < 5 || days < 0 || registryLead.isNegative()) {
      throw new CommandLine.ParameterException(
          spec.commandLine(),
          "--rate must be >= 1, --agents >= 5, --days-of-history >= 0, --registry-lead >= 0");
    }
    if (eventsFile != null) {
      return writeTrace();
    }
    if (registryFile != null) {
      throw new CommandLine.ParameterException(
          spec.commandLine(), "--registry-file goes with --events-file");
    }
    ChaperoneConfig config = new ChaperoneConfig(cluster.settings());
    SchemaRegistry registry =
        SchemaRegistries.forUrl(
            config.schemaRegistryUrl(),
            config.schemaRegistryBasicAuth(),
            config.schemaRegistryBearerToken(),
            config.schemaRegistryTimeout());
    if (config.createTopics()) {
      try (org.apache.kafka.clients.admin.Admin admin =
          org.apache.kafka.clients.admin.Admin.create(
              config.clientProperties(
                  org.apache.kafka.clients.admin.AdminClientConfig.configNames()))) {
        dev.chaperone.streams.TopicProvisioner.ensureTopics(admin, config);
      }
    }
    FleetSimulator fleet = new FleetSimulator(seed, agents);
    Instant now = Instant.now();
    List<Scenario> attacks =
        AttackScenarios.named(fleet, now, scenarios == null ? AttackScenarios.NAMES : scenarios);
    Properties props = config.clientProperties(ProducerConfig.configNames());
    props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    props.put(ProducerConfig.LINGER_MS_CONFIG, 10);
    props.put(ProducerConfig.BATCH_SIZE_CONFIG, 256 * 1024);
    // One batch in flight per broker: right after the topics are created a first batch can be
    // refused (NOT_LEADER_OR_FOLLOWER) while its successors are accepted out of sequence, which the
    // broker then refuses until the delivery timeout.
    props.putIfAbsent(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 1);
    Serializer<AgentAction> actions = AvroSerde.forValues(AgentAction.class, registry).serializer();
    var registrations = AvroSerde.forValues(AgentRegistration.class, registry).serializer();
    try (KafkaProducer<byte[], byte[]> producer =
        new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer())) {
      // Leaders known before the first send: a batch retried on a topic still being created can
      // otherwise arrive after its successors.
      producer.partitionsFor(config.registryTopic());
      producer.partitionsFor(config.actionsTopic());
      for (AgentRegistration r : fleet.registrations(now.minus(Duration.ofDays(days + 5L)))) {
        producer.send(
            new ProducerRecord<>(
                config.registryTopic(),
                r.getAgentId().getBytes(StandardCharsets.UTF_8),
                registrations.serialize(config.registryTopic(), r)),
            this::sent);
      }
      producer.flush();
      if (!registryLead.isZero()) {
        Console.info(
            String.format(
                Locale.ROOT,
                "Registered %d agents; waiting %.1f s for running detectors to read them.",
                agents,
                registryLead.toMillis() / 1000.0));
        Thread.sleep(registryLead.toMillis());
      }
      List<AgentAction> history =
          days == 0 ? List.of() : fleet.traffic(now.minus(Duration.ofDays(days)), now);
      history.forEach(a -> send(producer, config, actions, a));
      producer.flush();
      Console.info(
          String.format(
              Locale.ROOT,
              "Registered %d agents; produced %,d actions of %d days of history to %s.",
              agents,
              history.size(),
              days,
              config.actionsTopic()));

      // Live: the fleet's traffic of the coming period, re-timed to the wall clock at --rate,
      // with the attacks spread over the first half.
      List<AgentAction> live = fleet.traffic(now, now.plus(Duration.ofDays(7)));
      double natural = live.size() / (7 * 86_400.0);
      if (rate > 10 * natural) {
        Console.info(
            String.format(
                Locale.ROOT,
                "Note: this fleet's natural pace is about %.2f actions/s; at %d/s its days are"
                    + " compressed onto the wall clock, and the rate signal will say so.",
                natural,
                rate));
      }
      long total = Math.max(1, rate * duration.toSeconds());
      long attackEvery = Math.max(1, total / 2 / Math.max(1, attacks.size()));
      long start = System.nanoTime();
      int nextAttack = 0;
      long sent = 0;
      for (long i = 0; i < total; i++) {
        long due = start + i * 1_000_000_000L / rate;
        long wait = due - System.nanoTime();
        if (wait > 0) {
          Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
        }
        Instant at = Instant.now();
        AgentAction action = live.get((int) (i % live.size()));
        send(producer, config, actions, retimed(action, at, i));
        sent++;
        if (nextAttack < attacks.size() && i == attackEvery * (nextAttack + 1)) {
          Scenario attack = attacks.get(nextAttack++);
          Console.info("  ▶ " + attack.name() + ": " + attack.description());
          for (AgentAction a : attack.events()) {
            send(producer, config, actions, retimed(a, at, -1));
            sent++;
          }
        }
      }
      producer.flush();
      Console.info(String.format(Locale.ROOT, "Produced %,d live actions.", sent));
    }
    if (failed.get() > 0) {
      Console.error(
          failed.get() + " records could not be produced; the first error: " + firstError.get());
      return 1;
    }
    return 0;
  }

  /**
   * The fleet's registrations, {@code --days-of-history} days of its traffic up to now and then the
   * chosen attacks, as JSON lines. The traffic is made one day's sessions at a time, each day once,
   * and written as soon as no later day can add to it, so memory does not grow with the days.
   */
  private int writeTrace() throws IOException {
    FleetSimulator fleet = new FleetSimulator(seed, agents);
    Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
    Instant from = now.minus(Duration.ofDays(days));
    if (registryFile != null) {
      try (BufferedWriter out = Files.newBufferedWriter(registryFile, StandardCharsets.UTF_8)) {
        for (AgentRegistration r : fleet.registrations(from.minus(Duration.ofDays(5)))) {
          out.write(JsonContractCodec.write(r));
          out.newLine();
        }
      }
    }
    long events = 0;
    try (BufferedWriter out = Files.newBufferedWriter(eventsFile, StandardCharsets.UTF_8)) {
      // from the day before the first: its late sessions may run past midnight
      LocalDate last = now.atZone(ZoneOffset.UTC).toLocalDate();
      List<AgentAction> pending = new ArrayList<>();
      for (LocalDate day = from.atZone(ZoneOffset.UTC).toLocalDate().minusDays(1);
          !day.isAfter(last);
          day = day.plusDays(1)) {
        pending.addAll(fleet.sessionsOn(day));
        pending.sort(FleetSimulator.EVENT_TIME_ORDER);
        Instant complete = day.plusDays(1).atStartOfDay(ZoneOffset.UTC).toInstant();
        int ready = 0;
        while (ready < pending.size() && pending.get(ready).getOccurredAt().isBefore(complete)) {
          ready++;
        }
        events += write(out, pending.subList(0, ready), from, now);
        pending = new ArrayList<>(pending.subList(ready, pending.size()));
      }
      events += write(out, pending, from, now);
      List<Scenario> attacks =
          AttackScenarios.named(fleet, now, scenarios == null ? AttackScenarios.NAMES : scenarios);
      for (Scenario attack : attacks) {
        for (AgentAction action : attack.events()) {
          out.write(JsonContractCodec.write(action));
          out.newLine();
          events++;
        }
      }
    }
    Console.info(
        String.format(
            Locale.ROOT,
            "Wrote %,d actions of %d agents over %d days%s to %s.",
            events,
            agents,
            days,
            registryFile == null ? "" : " (registrations in " + registryFile + ")",
            eventsFile));
    return 0;
  }

  /** Writes the actions of {@code from} (inclusive) to {@code to}; returns how many. */
  private static long write(BufferedWriter out, List<AgentAction> actions, Instant from, Instant to)
      throws IOException {
    long written = 0;
    for (AgentAction action : actions) {
      if (!action.getOccurredAt().isBefore(from) && action.getOccurredAt().isBefore(to)) {
        out.write(JsonContractCodec.write(action));
        out.newLine();
        written++;
      }
    }
    return written;
  }

  private final java.util.concurrent.atomic.AtomicLong failed =
      new java.util.concurrent.atomic.AtomicLong();
  private final java.util.concurrent.atomic.AtomicReference<String> firstError =
      new java.util.concurrent.atomic.AtomicReference<>();

  /** Counts the records the cluster did not take, so none is lost silently. */
  private void sent(org.apache.kafka.clients.producer.RecordMetadata metadata, Exception error) {
    if (error != null) {
      failed.incrementAndGet();
      firstError.compareAndSet(null, error.toString());
    }
  }

  /** The action as if it happened at {@code at}, with an event id unique to this run. */
  private static AgentAction retimed(AgentAction action, Instant at, long seq) {
    Duration shift = Duration.between(action.getOccurredAt(), at);
    AgentAction.Builder b =
        AgentAction.newBuilder(action)
            .setOccurredAt(at)
            .setEventId(action.getEventId() + "@" + at.toEpochMilli() + (seq < 0 ? "" : "-" + seq));
    if (action.getCredential() != null) {
      var c = dev.chaperone.schema.Credential.newBuilder(action.getCredential());
      if (c.getIssuedAt() != null) {
        c.setIssuedAt(c.getIssuedAt().plus(shift));
      }
      if (c.getExpiresAt() != null) {
        c.setExpiresAt(c.getExpiresAt().plus(shift));
      }
      b.setCredential(c.build());
    }
    List<dev.chaperone.schema.DelegationHop> chain = new ArrayList<>();
    for (var hop : action.getDelegation()) {
      var h = dev.chaperone.schema.DelegationHop.newBuilder(hop);
      if (h.getIssuedAt() != null) {
        h.setIssuedAt(h.getIssuedAt().plus(shift));
      }
      if (h.getExpiresAt() != null) {
        h.setExpiresAt(h.getExpiresAt().plus(shift));
      }
      chain.add(h.build());
    }
    b.setDelegation(chain);
    return b.build();
  }

  private void send(
      KafkaProducer<byte[], byte[]> producer,
      ChaperoneConfig config,
      Serializer<AgentAction> serializer,
      AgentAction action) {
    producer.send(
        new ProducerRecord<>(
            config.actionsTopic(),
            action.getAgentId().getBytes(StandardCharsets.UTF_8),
            serializer.serialize(config.actionsTopic(), action)),
        this::sent);
  }
}
