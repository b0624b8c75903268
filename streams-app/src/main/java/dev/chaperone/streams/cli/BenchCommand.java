package dev.chaperone.streams.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.chaperone.baseline.Baseline;
import dev.chaperone.baseline.BaselineConfig;
import dev.chaperone.schema.AgentAction;
import dev.chaperone.schema.AgentRegistration;
import dev.chaperone.streams.ChaperoneApp;
import dev.chaperone.streams.ChaperoneTopology;
import dev.chaperone.streams.config.ChaperoneConfig;
import dev.chaperone.streams.detect.EffectiveConfig;
import dev.chaperone.streams.embedded.EmbeddedKafka;
import dev.chaperone.streams.fleet.ObservedAgent;
import dev.chaperone.streams.fleet.ObservedAgentSerde;
import dev.chaperone.streams.metrics.ChaperoneMetrics;
import dev.chaperone.streams.processor.CommitPacer;
import dev.chaperone.streams.processor.DetectProcessor;
import dev.chaperone.streams.registry.MockSchemaRegistry;
import dev.chaperone.streams.registry.SchemaRegistry;
import dev.chaperone.streams.serde.AvroSerde;
import dev.chaperone.streams.sim.FleetSimulator;
import dev.chaperone.streams.state.BaselineCacheStore;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import java.util.function.LongSupplier;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Utils;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.processor.api.FixedKeyProcessor;
import org.apache.kafka.streams.processor.api.FixedKeyProcessorContext;
import org.apache.kafka.streams.processor.api.FixedKeyRecord;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code chaperone bench}: the detector on the embedded broker against a pass-through topology
 * (decode, re-encode, produce) on the same broker, records and serdes, both exactly-once.
 *
 * <p>Phases: the fleet's history is processed to build every agent's 30-day baseline (not timed);
 * with the detector paused, {@code --events} further events are produced as fast as the broker
 * takes them; the detector resumes and the time to score the backlog gives its sustained
 * throughput; then, the detector still running, events offered at {@code --rate} for {@code
 * --latency-seconds} give its latency, timed from the send to the moment the event's score is
 * readable by a read-committed consumer. The detector pauses and the pass-through reads the same
 * topic from the start, timed over the backlog, then takes its own latency phase the same way: one
 * topology at a time, each measured while it runs rather than just after a resume.
 */
@Command(
    name = "bench",
    mixinStandardHelpOptions = true,
    description =
        "Measure the detector's throughput and end-to-end latency on the embedded broker, beside a pass-through topology.")
final class BenchCommand implements Callable<Integer> {

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Option(
      names = "--agents",
      defaultValue = "2000",
      description = "Agents in the fleet (default ${DEFAULT-VALUE}).")
  int agents;

  @Option(
      names = "--events",
      defaultValue = "100000",
      description = "Events of the throughput phase (default ${DEFAULT-VALUE}).")
  int events;

  @Option(
      names = "--rate",
      defaultValue = "5000",
      description = "Offered rate of the latency phase, events/s (default ${DEFAULT-VALUE}).")
  int rate;

  @Option(
      names = "--latency-seconds",
      defaultValue = "10",
      description =
          "Seconds each latency phase counts, after --settle-seconds offered but not counted"
              + " (default ${DEFAULT-VALUE}).")
  int latencySeconds;

  @Option(
      names = "--latency-trace",
      paramLabel = "FILE",
      description =
          "Also write every counted event of the detector's latency phase as a line \"seconds"
              + " since the phase began, latency ms\" (send order), to see when the tail happens.")
  Path latencyTrace;

  @Option(
      names = "--partitions",
      defaultValue = "3",
      description = "Partitions of the topics (default ${DEFAULT-VALUE}).")
  int partitions;

  @Option(names = "--seed", defaultValue = "7", description = "Seed of the simulated fleet.")
  long seed;

  @Option(names = "--json", description = "Print one JSON object instead of the table.")
  boolean json;

  @Option(
      names = "--json-file",
      paramLabel = "FILE",
      description = "Also write the JSON object to FILE (for collecting results in CI).")
  Path jsonFile;

  @Option(
      names = "--set",
      paramLabel = "KEY=VALUE",
      description =
          "A setting of the detector (Chaperone's or Kafka Streams', e.g. commit.interval.ms=200)"
              + " on top of the bench's; repeatable.")
  Map<String, String> overrides = new HashMap<>();

  @Option(
      names = "--warmup-events",
      defaultValue = "500000",
      description =
          "Events scored before the throughput phase, untimed, so that restoration ends and the JIT"
              + " compiles the hot path, in rounds that report the JIT's share (default"
              + " ${DEFAULT-VALUE}).")
  int warmupEvents;

  @Option(
      names = "--settle-seconds",
      defaultValue = "6",
      description =
          "Seconds each latency phase offers events before it starts counting, while the reader"
              + " joins and the JITs (the bench's and its fresh broker's) compile the paths a steady"
              + " rate takes after a backlog (default ${DEFAULT-VALUE}).")
  int settleSeconds;

  /**
   * Environment variable with JVM options for the bench's broker (e.g. {@code -Xlog:gc:…} to see
   * its pauses). Unset, the broker's JVM takes the JVM's defaults. Kafka's own start script's
   * options ({@code -Xms1g -Xmx1g -XX:MaxGCPauseMillis=20 …}) made no difference the bench could
   * resolve (2 December, three runs: detector p99 146–333 ms against 217–280 without).
   */
  static final String BROKER_JAVA_OPTS_ENV = "CHAPERONE_BROKER_JAVA_OPTS";

  /** The broker's JVM options: {@code env}'s, split on blanks; none when it is unset or blank. */
  static List<String> brokerJvmOptions(String env) {
    if (env == null || env.isBlank()) {
      return List.of();
    }
    return List.of(env.trim().split("\\s+"));
  }

  /** Events of one warm-up round, after which the JIT's share of the round is reported. */
  static final int WARMUP_ROUND = 50_000;

  /**
   * The JIT counts as quiet when it compiled for less than this share of a warm-up round's wall
   * time (summed over its compiler threads); a warm-up that ends louder says so.
   */
  static final double QUIET_JIT_SHARE = 0.10;

  @Option(
      names = "--broker-in-process",
      description =
          "Run the broker in the bench's JVM rather than in a JVM of its own on this machine (its"
              + " JIT and GC then compete with the detector's).")
  boolean brokerInProcess;

  @Option(
      names = "--history-days",
      defaultValue = "30",
      description =
          "Days of history each agent's pre-built baseline learns (default ${DEFAULT-VALUE}).")
  int historyDays;

  private static final String PASSTHROUGH_IN = "bench.passthrough-in";
  private static final String PASSTHROUGH_OUT = "bench.passthrough";
  private static final String APPLICATION_ID = "chaperone-bench";
  private static final String PASSTHROUGH_ID = "chaperone-bench-passthrough";

  @Override
  public Integer call() throws Exception {
    if (warmupEvents < 0 || events < 1 || agents < 1 || rate < 1 || latencySeconds < 1) {
      throw new CommandLine.ParameterException(
          spec.commandLine(),
          "--warmup-events must be >= 0; --events, --agents, --rate and --latency-seconds >= 1");
    }
    Path stateDir = Files.createTempDirectory("chaperone-bench-state-");
    String scope = "bench-" + ProcessHandle.current().pid();
    try (Broker kafka = brokerInProcess ? new InProcess(EmbeddedKafka.start()) : ownJvm();
        GcPauses gc = new GcPauses()) {
      SchemaRegistry registry = MockSchemaRegistry.forScope(scope);
      Map<String, Object> settings = new HashMap<>();
      settings.put(ChaperoneConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
      settings.put(ChaperoneConfig.APPLICATION_ID_CONFIG, APPLICATION_ID);
      settings.put(ChaperoneConfig.SCHEMA_REGISTRY_URL_CONFIG, "mock://" + scope);
      settings.put(ChaperoneConfig.TOPICS_PARTITIONS_CONFIG, partitions);
      settings.put(ChaperoneConfig.SCORES_ENABLED_CONFIG, true);
      settings.put(ChaperoneConfig.RENDER_OCSF_CONFIG, false);
      settings.put(ChaperoneConfig.RENDER_ECS_CONFIG, false);
      settings.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.resolve("detector").toString());
      settings.putAll(overrides);
      ChaperoneConfig config = new ChaperoneConfig(settings);

      // The measured traffic: the fleet's last days before `end`, enough for the warm-up, the
      // backlog and both latency phases; the baselines are learned from the 30 days before it.
      FleetSimulator fleet = new FleetSimulator(seed, agents);
      Instant end = measuredEnd(Instant.now().minus(Duration.ofHours(2)));
      int latencyEvents = rate * (settleSeconds + latencySeconds);
      List<AgentAction> measured = pool(fleet, end, warmupEvents + events + 2 * latencyEvents);
      Instant poolStart = measured.get(0).getOccurredAt();
      progress(
          String.format(
              Locale.ROOT,
              "Fleet of %d agents: %,d events to measure, %s of event time.",
              agents,
              measured.size(),
              Duration.between(poolStart, end)));
      prebuildBaselines(kafka.bootstrapServers(), config, fleet, poolStart);

      ChaperoneMetrics metrics = ChaperoneMetrics.inMemory();
      try (ChaperoneApp detector = new ChaperoneApp(config, metrics);
          KafkaProducer<byte[], byte[]> producer =
              new KafkaProducer<>(benchProducerProps(kafka.bootstrapServers()));
          Admin admin =
              Admin.create(
                  Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()))) {
        var serializer = AvroSerde.forValues(AgentAction.class, registry).serializer();
        // an action as its agent's record in `topic` (encoded as for the actions topic)
        Function<String, Function<AgentAction, ProducerRecord<byte[], byte[]>>> recordIn =
            topic ->
                a ->
                    new ProducerRecord<>(
                        topic,
                        a.getAgentId().getBytes(StandardCharsets.UTF_8),
                        serializer.serialize(config.actionsTopic(), a));
        Function<AgentAction, ProducerRecord<byte[], byte[]>> record =
            recordIn.apply(config.actionsTopic());
        long restoreStart = System.nanoTime();
        detector.start();
        LocalRuns.awaitRunning(detector.streams());
        register(producer, config, registry, fleet);

        // Warm-up (not timed): restoration completes, the JIT compiles the hot path.
        int warmup =
            warmUp(
                admin,
                new Target(
                    detector.streams(),
                    config.actionsTopic(),
                    config.applicationId(),
                    metrics::eventsRead,
                    "events scored"),
                producer,
                record,
                measured.subList(0, warmupEvents));
        progress(
            String.format(
                Locale.ROOT,
                "Detector up, baselines restored, %,d warm-up events scored: %.1f s.",
                warmup,
                (System.nanoTime() - restoreStart) / 1e9));

        // Throughput: a backlog of `events`, scored from a paused start.
        detector.streams().pause();
        long produceStart = System.nanoTime();
        measured.subList(warmup, warmup + events).forEach(a -> producer.send(record.apply(a)));
        producer.flush();
        double produceSeconds = (System.nanoTime() - produceStart) / 1e9;
        Map<TopicPartition, Long> backlogEnd = endOffsets(admin, config.actionsTopic());
        Map<String, Long> writtenBefore = written(admin, config.actionsTopic());
        Map<String, Long> bytesBefore = bytesWritten(admin, config.actionsTopic());
        boolean paced = config.commitPaced();
        long before = metrics.eventsRead();
        double requestsBefore = metrics.count(ChaperoneMetrics.COMMIT_REQUESTS);
        double deferralsBefore = metrics.count(ChaperoneMetrics.COMMIT_DEFERRALS);
        Map<String, Object> sharingBefore = sharingLookups(metrics);
        // taken before the clock starts: it reads every client metric of the topology
        Usage detectorStart = Usage.detector(kafka, detector.streams());
        int backlogGcMark = gc.mark();
        long scoreStart = System.nanoTime();
        long scoreStartUptime = uptimeMs();
        detector.streams().resume();
        awaitCount(metrics::eventsRead, before + events);
        LocalRuns.awaitCommitted(admin, config.applicationId(), backlogEnd);
        double detectorSeconds = (System.nanoTime() - scoreStart) / 1e9;
        GcPauses.Summary backlogGc = gc.since(backlogGcMark);
        Usage detectorEnd = Usage.detector(kafka, detector.streams());
        Map<String, Object> detectorCores = detectorEnd.since(detectorStart, detectorSeconds);
        Map<String, Object> detectorThreadTime =
            detectorEnd.threadTime(detectorStart, detectorSeconds);
        long detectorHeapGrown = detectorEnd.heapGrownMib(detectorStart);
        double detectorEps = events / detectorSeconds;
        Map<String, Object> backlogCommits = commits(metrics, requestsBefore, deferralsBefore);
        Map<String, Object> writesPerEvent =
            perEvent(writtenBefore, written(admin, config.actionsTopic()), events, 3);
        progress(
            String.format(
                Locale.ROOT,
                "Detector: %,d events scored and committed in %.2f s = %,.0f events/s (produced at"
                    + " %,.0f events/s; JVM uptime %s)%s.",
                events,
                detectorSeconds,
                detectorEps,
                events / produceSeconds,
                uptimeSpan(scoreStartUptime, detectorSeconds),
                paced ? commitsText(backlogCommits) : ""));
        Map<String, Object> bytesPerEvent =
            perEvent(bytesBefore, bytesWritten(admin, config.actionsTopic()), events, 0);
        progress("Records written per event scored: " + writesText(writesPerEvent) + ".");
        progress("Bytes written per event scored: " + writesText(bytesPerEvent) + ".");
        noteHeapGrowth(detectorHeapGrown, "the backlog");
        Map<String, Object> sharing = since(sharingLookups(metrics), sharingBefore);
        progress(
            String.format(
                Locale.ROOT,
                "Sharing check: %,.0f lookups answered from memory, %,.0f by a range read of its"
                    + " window store.",
                sharing.get("memory"),
                sharing.get("store")));

        // Latency of the detector, running since it scored the backlog.
        int latencyStart = warmup + events;
        double latencyRequestsBefore = metrics.count(ChaperoneMetrics.COMMIT_REQUESTS);
        double latencyDeferralsBefore = metrics.count(ChaperoneMetrics.COMMIT_DEFERRALS);
        int detectorGcMark = gc.mark();
        PhaseUsage detectorLatencyUsage =
            new PhaseUsage(() -> Usage.detector(kafka, detector.streams()));
        double[] detectorLatency =
            latency(
                kafka.bootstrapServers(),
                producer,
                record,
                measured.subList(latencyStart, latencyStart + latencyEvents),
                config.scoresTopic(),
                BenchCommand::scoredEventId,
                latencyTrace,
                detectorLatencyUsage::start);
        GcPauses.Summary detectorGc = gc.since(detectorGcMark);
        PhaseUsage.Measured detectorLatencyUsed = detectorLatencyUsage.end();
        Map<String, Object> latencyCommits =
            commits(metrics, latencyRequestsBefore, latencyDeferralsBefore);
        if (paced) {
          progress(
              String.format(
                  Locale.ROOT, "Detector at %,d events/s%s.", rate, commitsText(latencyCommits)));
        }

        // The same warm-up and backlog through the pass-through, from a topic of its own, timed
        // over the backlog alone: produced while it is paused after the warm-up, as for the
        // detector, so that every stream thread starts on its share of the backlog together.
        detector.streams().pause();
        Function<AgentAction, ProducerRecord<byte[], byte[]>> passRecord =
            recordIn.apply(PASSTHROUGH_IN);
        AtomicLong passed = new AtomicLong();
        try (KafkaStreams passthrough =
            passthrough(kafka.bootstrapServers(), config, registry, stateDir, passed)) {
          passthrough.start();
          LocalRuns.awaitRunning(passthrough);
          warmUp(
              admin,
              new Target(
                  passthrough, PASSTHROUGH_IN, PASSTHROUGH_ID, passed::get, "records copied"),
              producer,
              passRecord,
              measured.subList(0, warmup));
          passthrough.pause();
          measured
              .subList(warmup, warmup + events)
              .forEach(a -> producer.send(passRecord.apply(a)));
          producer.flush();
          Map<TopicPartition, Long> passBacklogEnd = endOffsets(admin, PASSTHROUGH_IN);
          Usage passUsageStart = Usage.passthrough(kafka, passthrough);
          int passBacklogGcMark = gc.mark();
          long passStart = System.nanoTime();
          long passStartUptime = uptimeMs();
          passthrough.resume();
          awaitCount(passed::get, warmup + (long) events);
          LocalRuns.awaitCommitted(admin, PASSTHROUGH_ID, passBacklogEnd);
          double passSeconds = (System.nanoTime() - passStart) / 1e9;
          GcPauses.Summary passBacklogGc = gc.since(passBacklogGcMark);
          Usage passUsageEnd = Usage.passthrough(kafka, passthrough);
          Map<String, Object> passCores = passUsageEnd.since(passUsageStart, passSeconds);
          Map<String, Object> passThreadTime = passUsageEnd.threadTime(passUsageStart, passSeconds);
          long passHeapGrown = passUsageEnd.heapGrownMib(passUsageStart);
          double passthroughEps = events / passSeconds;
          progress(
              String.format(
                  Locale.ROOT,
                  "Pass-through: %,d records copied and committed in %.2f s = %,.0f records/s"
                      + " (after %,d warm-up records; JVM uptime %s).",
                  events,
                  passSeconds,
                  passthroughEps,
                  warmup,
                  uptimeSpan(passStartUptime, passSeconds)));
          noteHeapGrowth(passHeapGrown, "the pass-through's backlog");

          // Latency of the pass-through, running since it copied the backlog.
          List<AgentAction> passSlice =
              measured.subList(latencyStart + latencyEvents, latencyStart + 2 * latencyEvents);
          var actionDeserializer = AvroSerde.forValues(AgentAction.class, registry).deserializer();
          int passGcMark = gc.mark();
          PhaseUsage passLatencyUsage = new PhaseUsage(() -> Usage.passthrough(kafka, passthrough));
          double[] passLatency =
              latency(
                  kafka.bootstrapServers(),
                  producer,
                  passRecord,
                  passSlice,
                  PASSTHROUGH_OUT,
                  value -> actionDeserializer.deserialize(PASSTHROUGH_OUT, value).getEventId(),
                  null,
                  passLatencyUsage::start);
          GcPauses.Summary passGc = gc.since(passGcMark);
          PhaseUsage.Measured passLatencyUsed = passLatencyUsage.end();
          detector.streams().resume();

          long[] state = stateBytes(detector.streams());
          long stateBytes = state[0];
          progress(
              String.format(
                  Locale.ROOT,
                  "State: %,d entries (baseline heads, closed days and journals, sightings,"
                      + " inventory),"
                      + " %,d bytes.",
                  state[1],
                  state[0]));
          // The heap used is the topologies': the bench's own pool of events (every phase's,
          // 760,000 decoded actions by default) goes first. Until 4 December it was counted too:
          // 1,250-1,260 MiB reported with `--events 300000`, 299-308 MiB without it.
          measured.clear();
          System.gc();
          long heap = Runtime.getRuntime().totalMemory() - Runtime.getRuntime().freeMemory();
          Map<String, Object> result = new LinkedHashMap<>();
          result.put("detector_eps", Math.round(detectorEps));
          result.put("passthrough_eps", Math.round(passthroughEps));
          result.put("ratio", round(detectorEps / passthroughEps, 3));
          result.put("p50_ms", round(detectorLatency[0], 1));
          result.put("p95_ms", round(detectorLatency[1], 1));
          result.put("p99_ms", round(detectorLatency[2], 1));
          result.put("passthrough_p50_ms", round(passLatency[0], 1));
          result.put("passthrough_p95_ms", round(passLatency[1], 1));
          result.put("passthrough_p99_ms", round(passLatency[2], 1));
          result.put("offered_rate", rate);
          result.put("agents", agents);
          result.put("events", events);
          result.put("state_bytes_per_agent", stateBytes / agents);
          result.put("heap_used_mb", heap / (1024 * 1024));
          result.put("detector_cores", detectorCores);
          result.put("passthrough_cores", passCores);
          result.put("detector_latency_cores", detectorLatencyUsed.cores());
          result.put("passthrough_latency_cores", passLatencyUsed.cores());
          result.put("detector_stream_thread_time", detectorThreadTime);
          result.put("passthrough_stream_thread_time", passThreadTime);
          result.put("detector_latency_stream_thread_time", detectorLatencyUsed.threadTime());
          result.put("passthrough_latency_stream_thread_time", passLatencyUsed.threadTime());
          result.put("detector_heap_grown_mb", detectorHeapGrown);
          result.put("passthrough_heap_grown_mb", passHeapGrown);
          result.put("detector_commits_backlog", backlogCommits);
          result.put("detector_commits_latency", latencyCommits);
          result.put("detector_writes_per_event", writesPerEvent);
          result.put("detector_bytes_per_event", bytesPerEvent);
          result.put("detector_sharing_lookups", sharing);
          result.put("detector_gc_backlog", backlogGc.asMap());
          result.put("passthrough_gc_backlog", passBacklogGc.asMap());
          result.put("detector_gc_latency", detectorGc.asMap());
          result.put("passthrough_gc_latency", passGc.asMap());
          print(result);
        }
      }
    } finally {
      MockSchemaRegistry.dropScope(scope);
      LocalRuns.deleteTree(stateDir);
    }
    return 0;
  }

  /**
   * Growth of the JVM's committed heap during a timed phase at which the bench says so: G1 grows
   * the heap it commits over a run (the bench's JVM from about 80 MB to 3.9 GB resident, the heap
   * used after a collection under 1 GiB), and the first touch of each new page is a page fault, up
   * to 30 % of the stream threads in a profile of a backlog timed while the heap grew.
   */
  static final long HEAP_GROWTH_NOTE_MIB = 64;

  /** Says that {@code phase} was timed while the heap grew by {@code grownMib}, if it did. */
  private void noteHeapGrowth(long grownMib, String phase) {
    if (grownMib >= HEAP_GROWTH_NOTE_MIB) {
      progress(
          String.format(
              Locale.ROOT,
              "Note: the JVM committed %,d MiB more heap while %s was timed; touching those pages"
                  + " the first time costs page faults, so the phase may measure the heap's growth"
                  + " as well as the topology.",
              grownMib,
              phase));
    }
  }

  /**
   * CPU time used so far by this JVM, by its stream threads of one application id and by the
   * broker's process, the JIT's compiler threads, the whole machine, the heap this JVM has
   * committed, the stream threads' commits (Kafka Streams' thread metrics) and what their clients
   * have blocked on: measured around a phase, it says where that phase's time went.
   */
  private record Usage(
      long process,
      Map<Long, Long> streamThreads,
      long broker,
      long brokerJitNanos,
      long jitNanos,
      MachineCpu machine,
      long heapCommitted,
      Map<String, Double> commits,
      Map<String, Double> blockedOn) {

    /** For the detector's threads: the pass-through's application id extends the detector's. */
    static Usage detector(Broker broker, KafkaStreams streams) {
      return now(
          broker,
          name -> name.startsWith(APPLICATION_ID) && !name.startsWith(PASSTHROUGH_ID),
          streams);
    }

    static Usage passthrough(Broker broker, KafkaStreams streams) {
      return now(broker, name -> name.startsWith(PASSTHROUGH_ID), streams);
    }

    private static Usage now(
        Broker broker, Predicate<String> ofApplication, KafkaStreams kafkaStreams) {
      var os =
          (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
      ThreadMXBean threads = ManagementFactory.getThreadMXBean();
      Map<Long, Long> stream = new HashMap<>();
      for (ThreadInfo info : threads.getThreadInfo(threads.getAllThreadIds())) {
        if (info != null
            && ofApplication.test(info.getThreadName())
            && info.getThreadName().contains("StreamThread")) {
          stream.put(info.getThreadId(), Math.max(0, threads.getThreadCpuTime(info.getThreadId())));
        }
      }
      // a copy of every client's metrics, made once per snapshot
      Collection<? extends Metric> clientMetrics = kafkaStreams.metrics().values();
      return new Usage(
          os.getProcessCpuTime(),
          stream,
          broker.cpuNanos(),
          broker.compilerCpuNanos(),
          compilerCpuNanos(),
          MachineCpu.now(),
          ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getCommitted(),
          threadMetric(clientMetrics, "commit-total"),
          blockedOn(clientMetrics));
    }

    /**
     * What the stream threads' clients have blocked on so far, in ns summed over the threads: the
     * parts of Kafka Streams' {@code blocked-time-ns-total} (KIP-761), from the main and restore
     * consumers' and the producers' own metrics, read in one pass. Their sum is that total: reading
     * Kafka Streams' own gauge apart from its parts let a thread's blocking between the two reads
     * count in one and not the other (a part 0.04 of the threads' time above the total, once, on a
     * full machine).
     */
    private static Map<String, Double> blockedOn(Collection<? extends Metric> metrics) {
      Map<String, Double> parts = new LinkedHashMap<>();
      for (String part : List.of("poll", "flush", "transaction", "send", "restore")) {
        parts.put(part, 0.0);
      }
      for (Metric metric : metrics) {
        MetricName id = metric.metricName();
        String client = id.tags().getOrDefault("client-id", "");
        if (!client.contains("StreamThread") || !(metric.metricValue() instanceof Number value)) {
          continue;
        }
        String part = null;
        if (client.endsWith("-consumer")) {
          if (id.group().equals("consumer-metrics")
              && (id.name().equals("io-wait-time-ns-total")
                  || id.name().equals("io-time-ns-total"))) {
            part = client.endsWith("-restore-consumer") ? "restore" : "poll";
          }
        } else if (client.endsWith("-producer") && id.group().equals("producer-metrics")) {
          if (id.name().equals("flush-time-ns-total")) {
            part = "flush";
          } else if (id.name().startsWith("txn-") && id.name().endsWith("-time-ns-total")) {
            part = "transaction";
          } else if (id.name().equals("bufferpool-wait-time-ns-total")
              || id.name().equals("metadata-wait-time-ns-total")) {
            part = "send";
          }
        }
        if (part != null) {
          parts.merge(part, value.doubleValue(), Double::sum);
        }
      }
      return parts;
    }

    /** A cumulative metric of each stream thread ({@code stream-thread-metrics}), by thread. */
    private static Map<String, Double> threadMetric(
        Collection<? extends Metric> metrics, String name) {
      Map<String, Double> values = new HashMap<>();
      for (Metric metric : metrics) {
        MetricName id = metric.metricName();
        if (id.name().equals(name)
            && id.group().equals("stream-thread-metrics")
            && metric.metricValue() instanceof Number value) {
          values.put(id.tags().get("thread-id"), value.doubleValue());
        }
      }
      return values;
    }

    /**
     * How the stream threads spent a phase of {@code seconds} since {@code start}, as shares of
     * their wall-clock time (averaged over the threads): running on a core, blocked on Kafka
     * (polling, flushing the producer, the transaction's offsets and commit: what Kafka Streams'
     * {@code blocked-time-ns-total} sums, summed here from the same client metrics), and the rest
     * (ready but not running on busy cores, GC pauses); what they blocked on (the main consumer's
     * I/O in poll, the producer's flush at each commit, the transaction's calls, the producer's
     * buffer and metadata waits in send, the restore consumer's I/O); and commits per second per
     * thread. The consumer's I/O time counts as running too, so the shares may add up to a little
     * more than 1, and "other" is then 0.
     */
    Map<String, Object> threadTime(Usage start, double seconds) {
      Map<String, Object> time = new LinkedHashMap<>();
      int count = Math.max(1, commits.size()); // one commit-total per stream thread
      long running = 0;
      for (Map.Entry<Long, Long> thread : streamThreads.entrySet()) {
        running += thread.getValue() - start.streamThreads.getOrDefault(thread.getKey(), 0L);
      }
      double wall = seconds * 1e9 * count;
      double runningShare = running / wall;
      Map<String, Object> on = new LinkedHashMap<>();
      double blocked = 0;
      for (Map.Entry<String, Double> part : blockedOn.entrySet()) {
        double nanos = part.getValue() - start.blockedOn.getOrDefault(part.getKey(), 0.0);
        on.put(part.getKey(), round(nanos / wall, 2));
        blocked += nanos;
      }
      double blockedShare = blocked / wall;
      time.put("running", round(runningShare, 2));
      time.put("blocked_on_kafka", round(blockedShare, 2));
      time.put("other", round(Math.max(0, 1 - runningShare - blockedShare), 2));
      time.put("blocked_on", on);
      time.put("commits_per_s", round(since(commits, start.commits) / count / seconds, 1));
      return time;
    }

    private static double since(Map<String, Double> now, Map<String, Double> then) {
      double sum = 0;
      for (Map.Entry<String, Double> thread : now.entrySet()) {
        sum += thread.getValue() - then.getOrDefault(thread.getKey(), 0.0);
      }
      return sum;
    }

    /** Cores busy on average between {@code start} and now, over {@code seconds}. */
    Map<String, Object> since(Usage start, double seconds) {
      Map<String, Object> cores = new LinkedHashMap<>();
      cores.put("bench_jvm", round((process - start.process) / 1e9 / seconds, 2));
      long allStreamThreads = 0;
      long busiest = 0;
      for (Map.Entry<Long, Long> thread : streamThreads.entrySet()) {
        long used = thread.getValue() - start.streamThreads.getOrDefault(thread.getKey(), 0L);
        allStreamThreads += used;
        busiest = Math.max(busiest, used);
      }
      cores.put("stream_threads", round(allStreamThreads / 1e9 / seconds, 2));
      // a stream thread near 1.0 is the bottleneck whatever the others do
      cores.put("busiest_stream_thread", round(busiest / 1e9 / seconds, 2));
      cores.put("broker", round((broker - start.broker) / 1e9 / seconds, 2));
      // the broker's compiler threads, within its process: a broker that has run for weeks has
      // compiled its paths long ago, the bench's may still compile them in a timed phase
      if (brokerJitNanos >= 0 && start.brokerJitNanos >= 0) {
        cores.put("broker_jit", round(compiling(start.brokerJitNanos, brokerJitNanos, seconds), 2));
      }
      // the compiler threads' time, within the bench's JVM: a timed phase measures it too
      if (jitNanos >= 0 && start.jitNanos >= 0) {
        cores.put("jit", round(compiling(start.jitNanos, jitNanos, seconds), 2));
      }
      // every process and the kernel: near the machine's core count, only less CPU per event helps
      if (machine != null && start.machine != null) {
        cores.put("machine", round(machine.coresBusySince(start.machine), 2));
      }
      return cores;
    }

    /**
     * Cores of compiling between two readings of the compiler threads' CPU time: HotSpot stops a
     * compiler thread it no longer needs, and its time leaves the sum with it, so a phase in which
     * one stopped may count less than was compiled, and never less than 0.
     */
    private static double compiling(long fromNanos, long toNanos, double seconds) {
      return Math.max(0, toNanos - fromNanos) / 1e9 / seconds;
    }

    /** MiB of heap committed since {@code start}; negative if the collector gave some back. */
    long heapGrownMib(Usage start) {
      return (heapCommitted - start.heapCommitted) / (1024 * 1024);
    }
  }

  /**
   * The cores busy and the stream threads' time over the counted part of a latency phase: {@link
   * #start} is called (off the sending thread) when counting starts, {@link #end} when the phase
   * has ended.
   */
  private static final class PhaseUsage {
    private final Supplier<Usage> now;
    private volatile Usage start;
    private volatile long startNanos;

    PhaseUsage(Supplier<Usage> now) {
      this.now = now;
    }

    void start() {
      startNanos = System.nanoTime();
      start = now.get();
    }

    /**
     * The phase's busy cores ({@link Usage#since}) and its stream threads' time ({@link
     * Usage#threadTime}), both from one snapshot taken now; empty when counting never started (a
     * phase of fewer events than its settling seconds).
     */
    Measured end() {
      Usage from = start;
      if (from == null) {
        return new Measured(new LinkedHashMap<>(), new LinkedHashMap<>());
      }
      double seconds = (System.nanoTime() - startNanos) / 1e9;
      Usage to = now.get();
      return new Measured(to.since(from, seconds), to.threadTime(from, seconds));
    }

    record Measured(Map<String, Object> cores, Map<String, Object> threadTime) {}
  }

  /**
   * CPU time this JVM's JIT compiler threads have used so far, from {@code /proc/self/task} (Linux;
   * -1 elsewhere). The compiler threads are hidden from {@link ThreadMXBean}, and the JVM's own
   * compilation time ({@link CompilationMXBean}) is elapsed time, which on a full machine counts
   * the compilers' waits for a core too (about twice their CPU time in one bench run).
   */
  static long compilerCpuNanos() {
    return compilerCpuNanos(Path.of("/proc/self/task"));
  }

  /** The same for the JVM whose threads {@code tasks} lists ({@code /proc/<pid>/task}). */
  static long compilerCpuNanos(Path tasks) {
    try (var threads = Files.list(tasks)) {
      long ticks = 0;
      for (Path task : (Iterable<Path>) threads::iterator) {
        try {
          String name = Files.readString(task.resolve("comm"));
          if (name.startsWith("C2 CompilerThre") || name.startsWith("C1 CompilerThre")) {
            ticks += cpuTicks(Files.readString(task.resolve("stat")));
          }
        } catch (IOException e) {
          // the thread ended meanwhile
        }
      }
      return ticks * 10_000_000L; // /proc counts in USER_HZ, 100 per second
    } catch (IOException | RuntimeException e) {
      return -1;
    }
  }

  /** User plus system time of a {@code /proc/<pid>/task/<tid>/stat} line, in clock ticks. */
  static long cpuTicks(String stat) {
    // the name in parentheses may hold blanks and parentheses: count fields after the last ')'
    String[] fields = stat.substring(stat.lastIndexOf(')') + 2).trim().split("\\s+");
    // fields from the state (3rd of the line) on: utime is the 14th of the line, stime the 15th
    return Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
  }

  /**
   * The whole machine's CPU time from {@code /proc/stat} (Linux): busy and total jiffies over all
   * cores, user, system and interrupts counted as busy, idle and I/O wait as not.
   */
  record MachineCpu(long busy, long total, int cores) {

    /** Now; null where {@code /proc/stat} cannot be read. */
    static MachineCpu now() {
      try {
        return parse(Files.readAllLines(Path.of("/proc/stat")));
      } catch (IOException | RuntimeException e) {
        return null;
      }
    }

    /** From the lines of {@code /proc/stat}; null when they have no aggregate {@code cpu} line. */
    static MachineCpu parse(List<String> lines) {
      long busy = 0;
      long total = 0;
      int cores = 0;
      boolean found = false;
      for (String line : lines) {
        String[] fields = line.trim().split("\\s+");
        if (fields[0].equals("cpu")) {
          found = true;
          // user nice system idle iowait irq softirq steal (guest time is inside user already)
          for (int i = 1; i <= Math.min(8, fields.length - 1); i++) {
            long jiffies = Long.parseLong(fields[i]);
            total += jiffies;
            if (i != 4 && i != 5) {
              busy += jiffies;
            }
          }
        } else if (fields[0].matches("cpu\\d+")) {
          cores++;
        }
      }
      return found && cores > 0 ? new MachineCpu(busy, total, cores) : null;
    }

    /** Cores busy on average since {@code start}. */
    double coresBusySince(MachineCpu start) {
      long elapsed = total - start.total;
      return elapsed <= 0 ? 0 : (double) (busy - start.busy) / elapsed * cores;
    }
  }

  /** The broker the bench runs against. */
  private interface Broker extends AutoCloseable {
    String bootstrapServers();

    /** CPU time the broker's own process has used so far; zero when it runs in this JVM. */
    default long cpuNanos() {
      return 0;
    }

    /**
     * CPU time the compiler threads of the broker's own JVM have used so far; -1 when it runs in
     * this JVM or {@code /proc} cannot be read.
     */
    default long compilerCpuNanos() {
      return -1;
    }

    @Override
    void close();
  }

  private record InProcess(EmbeddedKafka kafka) implements Broker {
    @Override
    public String bootstrapServers() {
      return kafka.bootstrapServers();
    }

    @Override
    public void close() {
      kafka.close();
    }
  }

  /**
   * {@code chaperone broker} in a JVM of its own, as a deployment's broker would be: the detector's
   * JIT and GC are then its own. Stops when its standard input closes.
   */
  private static Broker ownJvm() throws IOException, InterruptedException {
    // outside the bench's state directory, so that it outlives a failed start
    Path log = Files.createTempFile("chaperone-bench-broker-", ".log");
    String javaBinary = ProcessHandle.current().info().command().orElse("java");
    List<String> command = new ArrayList<>(List.of(javaBinary));
    command.addAll(brokerJvmOptions(System.getenv(BROKER_JAVA_OPTS_ENV)));
    command.addAll(
        List.of(
            "-cp", System.getProperty("java.class.path"), ChaperoneCli.class.getName(), "broker"));
    Process process = new ProcessBuilder(command).redirectError(log.toFile()).start();
    CompletableFuture<String> ready = new CompletableFuture<>();
    Thread reader =
        new Thread(
            () -> {
              try (var lines =
                  new BufferedReader(
                      new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = lines.readLine()) != null) {
                  if (line.startsWith(BrokerCommand.READY_PREFIX)) {
                    ready.complete(line.substring(BrokerCommand.READY_PREFIX.length()).trim());
                  }
                }
              } catch (IOException e) {
                ready.completeExceptionally(e);
              }
              ready.completeExceptionally(new IOException("the broker process ended"));
            },
            "chaperone-bench-broker-output");
    reader.setDaemon(true);
    reader.start();
    String bootstrap;
    try {
      bootstrap = ready.get(120, TimeUnit.SECONDS);
    } catch (ExecutionException | TimeoutException e) {
      process.destroyForcibly();
      throw new IllegalStateException("the broker did not start; see " + log, e);
    }
    return new Broker() {
      @Override
      public String bootstrapServers() {
        return bootstrap;
      }

      @Override
      public long cpuNanos() {
        return process.toHandle().info().totalCpuDuration().map(Duration::toNanos).orElse(0L);
      }

      @Override
      public long compilerCpuNanos() {
        return BenchCommand.compilerCpuNanos(
            Path.of("/proc", Long.toString(process.pid()), "task"));
      }

      @Override
      public void close() {
        try {
          process.getOutputStream().close();
          if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly();
          }
          Files.deleteIfExists(log);
        } catch (IOException e) {
          process.destroyForcibly();
        } catch (InterruptedException e) {
          process.destroyForcibly();
          Thread.currentThread().interrupt();
        }
      }
    };
  }

  /**
   * The last Thursday 00:00 UTC at or before {@code at}: the measured traffic ends there, so that
   * every run times the same hours of the simulated week, its working days from Monday on (the
   * fleet mostly works office hours, and a pool ending at the wall clock timed nights in one run
   * and working days in another).
   */
  static Instant measuredEnd(Instant at) {
    LocalDate day = at.atZone(ZoneOffset.UTC).toLocalDate();
    LocalDate thursday = day.minusDays(day.getDayOfWeek().getValue() - 4L);
    if (thursday.isAfter(day)) {
      thursday = thursday.minusWeeks(1);
    }
    return thursday.atStartOfDay(ZoneOffset.UTC).toInstant();
  }

  /**
   * A topology the bench times: its Kafka Streams, the topic it reads, its application id, how many
   * records it has taken up, and what it does to them (for the progress lines).
   */
  private record Target(
      KafkaStreams streams, String input, String group, LongSupplier done, String what) {}

  /**
   * Runs all of {@code available} through {@code target}, untimed, in rounds of {@link
   * #WARMUP_ROUND} events, and returns how many. Each round reports the JIT's share of its time: on
   * two cores the compiler takes most of a core for the first 150,000–250,000 events, and a phase
   * timed then measures the JIT as much as the detector. The count is fixed rather than ended when
   * the JIT goes quiet, so that every run times the same events (an earlier warm-up that stopped at
   * the first quiet round timed events 300,000 on in one run and 500,000 on in another, parts of
   * the fleet's week as far apart as 13,100 and 20,800 events/s).
   *
   * <p>Each round goes as the timed backlog does: produced while the topology is paused, its end
   * offsets read, taken up at the resume, and awaited until committed. The JIT compiles those paths
   * during the warm-up. A warm-up that did not pause left them to the timed phase: at its pause the
   * compiled stream-task loop, with the whole topology inlined, was thrown away and compiled again
   * while the backlog was being timed (seen with {@code -XX:+PrintCompilation}: {@code
   * StreamTask::process} made not entrant at the backlog's start, and 156 methods in all during it;
   * 104 with paused rounds alone, 65 once they also read offsets and awaited the commit, none of
   * them the stream loop).
   */
  private int warmUp(
      Admin admin,
      Target target,
      KafkaProducer<byte[], byte[]> producer,
      Function<AgentAction, ProducerRecord<byte[], byte[]>> record,
      List<AgentAction> available)
      throws Exception {
    long before = target.done().getAsLong();
    CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
    boolean monitored = jit != null && jit.isCompilationTimeMonitoringSupported();
    int sent = 0;
    double share = 0;
    while (sent < available.size()) {
      int until = Math.min(available.size(), sent + WARMUP_ROUND);
      long compiledBefore = monitored ? jit.getTotalCompilationTime() : 0;
      long start = System.nanoTime();
      target.streams().pause();
      available.subList(sent, until).forEach(a -> producer.send(record.apply(a)));
      producer.flush();
      Map<TopicPartition, Long> roundEnd = endOffsets(admin, target.input());
      target.streams().resume();
      awaitCount(target.done(), before + until);
      LocalRuns.awaitCommitted(admin, target.group(), roundEnd);
      sent = until;
      if (monitored) {
        share =
            (jit.getTotalCompilationTime() - compiledBefore) / ((System.nanoTime() - start) / 1e6);
        progress(
            String.format(
                Locale.ROOT,
                "Warm-up: %,d %s, the JIT compiling %.0f %% of the last round.",
                sent,
                target.what(),
                100 * share));
      }
    }
    if (share >= QUIET_JIT_SHARE) {
      progress(
          String.format(
              Locale.ROOT,
              "Note: the JIT was still compiling for %.0f %% of the last warm-up round; the timed"
                  + " phases may measure it too (a larger --warmup-events helps).",
              100 * share));
    }
    return sent;
  }

  /** The last {@code size} events of the fleet's traffic before {@code end}. */
  private static List<AgentAction> pool(FleetSimulator fleet, Instant end, int size) {
    int days = 1;
    List<AgentAction> tail = fleet.traffic(end.minus(Duration.ofDays(days)), end);
    while (tail.size() < size) {
      days = Math.max(days + 1, (int) Math.ceil(days * (double) size / Math.max(1, tail.size())));
      tail = fleet.traffic(end.minus(Duration.ofDays(days)), end);
    }
    return new ArrayList<>(tail.subList(tail.size() - size, tail.size()));
  }

  /**
   * Learns every agent's baseline from its {@code --history-days} before {@code until}, as the
   * detector would (score, then learn or quarantine), and writes heads and closed days to the
   * detector's changelog topics, on the partition of the agent's task: the detector restores them
   * at start, as after a migration. One agent at a time, so memory does not grow with the fleet.
   */
  private void prebuildBaselines(
      String bootstrap, ChaperoneConfig config, FleetSimulator fleet, Instant until)
      throws Exception {
    String heads = changelog(ChaperoneTopology.BASELINES_STORE);
    String days = changelog(ChaperoneTopology.BASELINE_DAYS_STORE);
    try (Admin admin =
        Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
      admin
          .createTopics(
              List.of(
                  compacted(heads, config.topicPartitions()),
                  compacted(days, config.topicPartitions())))
          .all()
          .get();
    }
    long start = System.nanoTime();
    long learned = 0;
    long bytes = 0;
    BaselineConfig baselineConfig = DetectProcessor.baselineConfigOf(EffectiveConfig.DEFAULTS);
    Instant from = until.minus(Duration.ofDays(historyDays));
    Properties props = benchProducerProps(bootstrap);
    AtomicReference<Exception> failed = new AtomicReference<>();
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(props)) {
      List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>();
      for (int i = 0; i < fleet.agents().size(); i++) {
        String agentId = fleet.agents().get(i).agentId();
        int partition = partitionOf(agentId, config.topicPartitions());
        Baseline baseline = new Baseline(baselineConfig);
        for (AgentAction action : fleet.traffic(i, from, until)) {
          baseline.accept(action.getEventId(), DetectProcessor.observation(action));
          learned++;
        }
        records.clear();
        BaselineCacheStore.writeTo(
            agentId,
            baseline,
            (key, value) -> records.add(record(heads, partition, key, value)),
            (key, value) -> records.add(record(days, partition, key, value)),
            key -> records.add(record(days, partition, key, null)));
        for (ProducerRecord<byte[], byte[]> r : records) {
          bytes += r.key().length + (r.value() == null ? 0 : r.value().length);
          producer.send(
              r,
              (metadata, e) -> {
                if (e != null) {
                  failed.compareAndSet(null, e);
                }
              });
        }
      }
      producer.flush();
    }
    if (failed.get() != null) { // every send has completed after the flush
      throw new IllegalStateException(
          "pre-built baselines not written to the changelogs: " + failed.get(), failed.get());
    }
    progress(
        String.format(
            Locale.ROOT,
            "Baselines: %,d agents learned %,d events of %d days in %.1f s; %,d bytes written to"
                + " the changelogs.",
            fleet.agents().size(),
            learned,
            historyDays,
            (System.nanoTime() - start) / 1e9,
            bytes));
  }

  private static String changelog(String store) {
    return APPLICATION_ID + "-" + store + "-changelog";
  }

  private static NewTopic compacted(String name, int partitions) {
    return new NewTopic(name, partitions, (short) 1)
        .configs(Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT));
  }

  private static ProducerRecord<byte[], byte[]> record(
      String topic, int partition, String key, byte[] value) {
    return new ProducerRecord<>(topic, partition, key.getBytes(StandardCharsets.UTF_8), value);
  }

  /** The partition the default partitioner gives an action keyed by {@code agentId}. */
  private static int partitionOf(String agentId, int partitions) {
    return Utils.toPositive(Utils.murmur2(agentId.getBytes(StandardCharsets.UTF_8))) % partitions;
  }

  private static void register(
      KafkaProducer<byte[], byte[]> producer,
      ChaperoneConfig config,
      SchemaRegistry registry,
      FleetSimulator fleet) {
    var serializer = AvroSerde.forValues(AgentRegistration.class, registry).serializer();
    for (AgentRegistration r : fleet.registrations(Instant.now().minus(Duration.ofDays(400)))) {
      producer.send(
          new ProducerRecord<>(
              config.registryTopic(),
              r.getAgentId().getBytes(StandardCharsets.UTF_8),
              serializer.serialize(config.registryTopic(), r)));
    }
    producer.flush();
  }

  /** Decode and re-encode every action, exactly-once, as the detector's yardstick. */
  private static KafkaStreams passthrough(
      String bootstrap,
      ChaperoneConfig config,
      SchemaRegistry registry,
      Path stateDir,
      AtomicLong passed) {
    try (Admin admin =
        Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
      admin
          .createTopics(
              List.of(
                  new NewTopic(PASSTHROUGH_IN, config.topicPartitions(), (short) 1),
                  new NewTopic(PASSTHROUGH_OUT, config.topicPartitions(), (short) 1)))
          .all()
          .get();
    } catch (Exception e) {
      throw new IllegalStateException("cannot create the pass-through's topics", e);
    }
    var serde = AvroSerde.forValues(AgentAction.class, registry);
    StreamsBuilder builder = new StreamsBuilder();
    // The detector's commit policy too: paced by load (CommitPacer) when the detector's is.
    CommitPacer pacer = config.commitPacer(ChaperoneMetrics.inMemory());
    builder.stream(PASSTHROUGH_IN, Consumed.with(Serdes.ByteArray(), Serdes.ByteArray()))
        .processValues(
            () ->
                new FixedKeyProcessor<byte[], byte[], byte[]>() {
                  private FixedKeyProcessorContext<byte[], byte[]> context;

                  @Override
                  public void init(FixedKeyProcessorContext<byte[], byte[]> context) {
                    this.context = context;
                    pacer.init(context);
                  }

                  @Override
                  public void process(FixedKeyRecord<byte[], byte[]> record) {
                    pacer.input(record.timestamp()); // the Kafka timestamp: no extractor here
                    pacer.onRecord(context);
                    AgentAction action =
                        serde.deserializer().deserialize(config.actionsTopic(), record.value());
                    passed.incrementAndGet();
                    context.forward(
                        record.withValue(serde.serializer().serialize(PASSTHROUGH_OUT, action)));
                  }
                })
        .to(PASSTHROUGH_OUT, Produced.with(Serdes.ByteArray(), Serdes.ByteArray()));
    Properties props = new Properties();
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, PASSTHROUGH_ID);
    props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
    props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.resolve("passthrough").toString());
    props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    props.put(StreamsConfig.PROCESSING_EXCEPTION_HANDLER_GLOBAL_ENABLED_CONFIG, true);
    // the detector's stream threads, commit interval (with pacing on, its backlog interval), poll
    // time and clients' settings (Chaperone's producer defaults among them), whatever --set gave
    // it: the yardstick runs on the detector's Kafka settings, not on Kafka's defaults
    Properties detector = config.streamsProperties();
    detector.forEach(
        (key, value) -> {
          if (sameForPassthrough(key.toString())) {
            props.put(key, value);
          }
        });
    return new KafkaStreams(builder.build(), props);
  }

  /** Client settings that say whose client it is: the pass-through keeps its own. */
  private static final Set<String> CLIENT_IDENTITY =
      Set.of(
          CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG,
          CommonClientConfigs.CLIENT_ID_CONFIG,
          CommonClientConfigs.GROUP_ID_CONFIG,
          ConsumerConfig.AUTO_OFFSET_RESET_CONFIG);

  /**
   * Whether the pass-through takes the detector's setting {@code key}: its stream threads, commit
   * interval, poll time and producer and consumer settings (plain or prefixed), not its identity.
   */
  static boolean sameForPassthrough(String key) {
    if (key.equals(StreamsConfig.NUM_STREAM_THREADS_CONFIG)
        || key.equals(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG)
        || key.equals(StreamsConfig.POLL_MS_CONFIG)) {
      return true;
    }
    String client = key;
    for (String prefix :
        List.of(
            StreamsConfig.PRODUCER_PREFIX,
            StreamsConfig.MAIN_CONSUMER_PREFIX,
            StreamsConfig.CONSUMER_PREFIX)) {
      if (key.startsWith(prefix)) {
        client = key.substring(prefix.length());
        break;
      }
    }
    return !CLIENT_IDENTITY.contains(client)
        && (ProducerConfig.configNames().contains(client)
            || ConsumerConfig.configNames().contains(client));
  }

  /**
   * Offers {@code slice} at the configured rate and returns p50, p95, p99 in ms from each send to
   * the moment its output is readable (read committed) on {@code outputTopic}, over the events
   * after the first {@code --settle-seconds}' worth. {@code countingStarts} runs, on a thread of
   * its own, when the first counted event is sent.
   */
  private double[] latency(
      String bootstrap,
      KafkaProducer<byte[], byte[]> producer,
      Function<AgentAction, ProducerRecord<byte[], byte[]>> record,
      List<AgentAction> slice,
      String outputTopic,
      Function<byte[], String> eventIdOf,
      Path trace,
      Runnable countingStarts)
      throws InterruptedException, IOException {
    Map<String, Long> sentAt = new ConcurrentHashMap<>();
    int settle = Math.min(slice.size(), rate * settleSeconds);
    int counted = slice.size() - settle;
    double[] latencies = new double[counted];
    long[] sends = new long[counted];
    AtomicLong seen = new AtomicLong();
    Properties props = new Properties();
    props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    props.put(ConsumerConfig.GROUP_ID_CONFIG, "chaperone-bench-" + outputTopic);
    props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "latest");
    props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    Thread reader;
    try (KafkaConsumer<byte[], byte[]> consumer =
        new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      consumer.subscribe(List.of(outputTopic));
      while (consumer.assignment().isEmpty()) {
        consumer.poll(Duration.ofMillis(100));
      }
      consumer.seekToEnd(consumer.assignment());
      consumer.assignment().forEach(consumer::position);
      reader =
          new Thread(
              () -> {
                long deadline =
                    System.nanoTime()
                        + Duration.ofSeconds(settleSeconds + latencySeconds + 60L).toNanos();
                while (seen.get() < counted && System.nanoTime() < deadline) {
                  for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(20))) {
                    long now = System.nanoTime();
                    Long sent = sentAt.remove(eventIdOf.apply(r.value()));
                    if (sent != null) {
                      int at = (int) seen.getAndIncrement();
                      latencies[at] = (now - sent) / 1e6;
                      sends[at] = sent;
                    }
                  }
                }
              },
              "chaperone-bench-reader");
      reader.start();
      long start = System.nanoTime();
      long intervalNanos = 1_000_000_000L / rate;
      for (int i = 0; i < slice.size(); i++) {
        long due = start + i * intervalNanos;
        long wait = due - System.nanoTime();
        if (wait > 0) {
          Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
        }
        AgentAction action = slice.get(i);
        if (i == settle) {
          CompletableFuture.runAsync(countingStarts);
        }
        if (i >= settle) { // the settling seconds are offered, not counted
          sentAt.put(action.getEventId(), System.nanoTime());
        }
        producer.send(record.apply(action));
      }
      producer.flush();
      reader.join();
    }
    int n = (int) seen.get();
    if (trace != null) {
      writeTrace(trace, sends, latencies, n);
    }
    if (n < counted) {
      progress(
          String.format(
              Locale.ROOT, "  only %,d of %,d outputs arrived on %s", n, counted, outputTopic));
    }
    double[] sorted = Arrays.copyOf(latencies, n);
    Arrays.sort(sorted);
    return new double[] {
      percentile(sorted, 0.50), percentile(sorted, 0.95), percentile(sorted, 0.99)
    };
  }

  /** Each event's send time (seconds from the first counted send) and latency, in send order. */
  private static void writeTrace(Path file, long[] sends, double[] latencies, int n)
      throws IOException {
    Integer[] order = new Integer[n];
    for (int i = 0; i < n; i++) {
      order[i] = i;
    }
    Arrays.sort(order, (a, b) -> Long.compare(sends[a], sends[b]));
    long first = n == 0 ? 0 : sends[order[0]];
    long uptimeAtFirst = uptimeMs() - (System.nanoTime() - first) / 1_000_000;
    try (var out = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
      // to line the trace up with a GC log written with -Xlog:gc:…:uptimemillis
      out.write("# first counted send at JVM uptime " + uptimeAtFirst + " ms\n");
      for (int i : order) {
        out.write(
            String.format(Locale.ROOT, "%.4f %.1f%n", (sends[i] - first) / 1e9, latencies[i]));
      }
    }
  }

  private static String scoredEventId(byte[] value) {
    try {
      return JSON.readTree(value).path("eventId").asText();
    } catch (IOException e) {
      return "";
    }
  }

  private static final ObjectMapper JSON = new ObjectMapper();

  /**
   * Bytes and entries of every agent's state in the detector's stores: baseline heads and closed
   * days, sightings, inventory entries (keys included).
   */
  private static long[] stateBytes(KafkaStreams streams) {
    long bytes = 0;
    long entries = 0;
    for (String store :
        List.of(
            ChaperoneTopology.BASELINES_STORE,
            ChaperoneTopology.BASELINE_DAYS_STORE,
            ChaperoneTopology.BASELINE_JOURNAL_STORE,
            ChaperoneTopology.SIGHTINGS_STORE)) {
      ReadOnlyKeyValueStore<String, byte[]> kv =
          streams.store(
              StoreQueryParameters.fromNameAndType(store, QueryableStoreTypes.keyValueStore()));
      try (KeyValueIterator<String, byte[]> all = kv.all()) {
        while (all.hasNext()) {
          var entry = all.next();
          bytes += entry.key.length() + entry.value.length;
          entries++;
        }
      }
    }
    ReadOnlyKeyValueStore<String, ObservedAgent> fleet =
        streams.store(
            StoreQueryParameters.fromNameAndType(
                ChaperoneTopology.OBSERVED_FLEET_STORE, QueryableStoreTypes.keyValueStore()));
    try (var serde = new ObservedAgentSerde();
        KeyValueIterator<String, ObservedAgent> all = fleet.all()) {
      while (all.hasNext()) {
        var entry = all.next();
        bytes += entry.key.length() + serde.serializer().serialize("", entry.value).length;
        entries++;
      }
    }
    return new long[] {bytes, entries};
  }

  private static double percentile(double[] sorted, double q) {
    if (sorted.length == 0) {
      return Double.NaN;
    }
    return sorted[Math.min(sorted.length - 1, (int) Math.ceil(q * sorted.length) - 1)];
  }

  private static double round(double value, int digits) {
    double scale = Math.pow(10, digits);
    return Math.round(value * scale) / scale;
  }

  private void print(Map<String, Object> result) throws IOException {
    if (jsonFile != null) {
      Files.writeString(jsonFile, JSON.writeValueAsString(result) + "\n");
    }
    if (json) {
      Console.info(JSON.writeValueAsString(result));
      return;
    }
    Console.info("");
    row("", "detector", "pass-through");
    row("throughput (events/s)", result.get("detector_eps"), result.get("passthrough_eps"));
    for (String p : List.of("p50", "p95", "p99")) {
      row(
          p + " latency (ms) at " + rate + "/s",
          result.get(p + "_ms"),
          result.get("passthrough_" + p + "_ms"));
    }
    row(
        "GC pauses in backlog",
        gcText(result.get("detector_gc_backlog")),
        gcText(result.get("passthrough_gc_backlog")));
    row(
        "GC pauses at " + rate + "/s",
        gcText(result.get("detector_gc_latency")),
        gcText(result.get("passthrough_gc_latency")));
    coreRows(
        "cores busy: ",
        result.get("detector_cores"),
        result.get("passthrough_cores"),
        List.of(
            "machine",
            "bench_jvm",
            "stream_threads",
            "busiest_stream_thread",
            "jit",
            "broker",
            "broker_jit"));
    Map<?, ?> detectorTime = (Map<?, ?>) result.get("detector_stream_thread_time");
    Map<?, ?> passTime = (Map<?, ?>) result.get("passthrough_stream_thread_time");
    List<String> spent = List.of("running", "blocked_on_kafka", "other");
    row(
        "stream threads run/blocked/other",
        percents(detectorTime, spent),
        percents(passTime, spent));
    List<String> blocked = List.of("poll", "flush", "transaction");
    row(
        "  blocked: poll/flush/transaction",
        percents((Map<?, ?>) detectorTime.get("blocked_on"), blocked),
        percents((Map<?, ?>) passTime.get("blocked_on"), blocked));
    row(
        "commits per s per stream thread",
        detectorTime.get("commits_per_s"),
        passTime.get("commits_per_s"));
    coreRows(
        "cores busy at " + rate + "/s: ",
        result.get("detector_latency_cores"),
        result.get("passthrough_latency_cores"),
        List.of("machine", "jit", "broker", "broker_jit"));
    row(
        "commits per s per thread at " + rate + "/s",
        commitsPerSecond(result.get("detector_latency_stream_thread_time")),
        commitsPerSecond(result.get("passthrough_latency_stream_thread_time")));
    row(
        "heap committed in backlog (MiB)",
        result.get("detector_heap_grown_mb"),
        result.get("passthrough_heap_grown_mb"));
    Console.info("");
    Console.info(
        String.format(
            Locale.ROOT,
            "ratio %.3f; %s agents; state %s bytes per agent; heap used %s MiB",
            (double) result.get("ratio"),
            result.get("agents"),
            result.get("state_bytes_per_agent"),
            result.get("heap_used_mb")));
  }

  /** A phase's commits per second per stream thread, "-" where the phase was not counted. */
  private static Object commitsPerSecond(Object threadTime) {
    Object perSecond = threadTime instanceof Map<?, ?> time ? time.get("commits_per_s") : null;
    return perSecond == null ? "-" : perSecond;
  }

  /**
   * A row per part of two phases' busy cores that either phase reports (the machine's and the JIT's
   * only where {@code /proc} can be read), "-" for the phase that does not.
   */
  private static void coreRows(
      String label, Object detector, Object passthrough, List<String> parts) {
    Map<?, ?> detectorCores = (Map<?, ?>) detector;
    Map<?, ?> passCores = (Map<?, ?>) passthrough;
    for (String part : parts) {
      if (detectorCores.containsKey(part) || passCores.containsKey(part)) {
        row(
            label + part.replace('_', ' '),
            Objects.requireNonNullElse(detectorCores.get(part), "-"),
            Objects.requireNonNullElse(passCores.get(part), "-"));
      }
    }
  }

  /** One row of the table: a label, then the detector's and the pass-through's figure. */
  private static void row(String label, Object detector, Object passthrough) {
    Console.info(String.format(Locale.ROOT, "%-34s %15s %15s", label, detector, passthrough));
  }

  /** "a / b / c %": the shares of {@code keys} in {@code shares}, in per cent. */
  private static String percents(Map<?, ?> shares, List<String> keys) {
    StringBuilder text = new StringBuilder();
    for (String key : keys) {
      text.append(text.length() == 0 ? "" : " / ")
          .append(Math.round(100 * (double) shares.get(key)));
    }
    return text.append(" %").toString();
  }

  /** "count (max longest ms)" of a phase's pauses of the bench's JVM. */
  private static String gcText(Object summary) {
    Map<?, ?> gc = (Map<?, ?>) summary;
    return gc.get("pauses") + " (max " + gc.get("longest_ms") + " ms)";
  }

  private static long uptimeMs() {
    return ManagementFactory.getRuntimeMXBean().getUptime();
  }

  /**
   * A timed phase as JVM uptime, from and to, to line it up with a GC log ({@code
   * -Xlog:gc:…:uptimemillis}) or the JIT's ({@code -XX:+PrintCompilation}).
   */
  static String uptimeSpan(long startMs, double seconds) {
    return String.format(Locale.ROOT, "%.3f–%.3f s", startMs / 1e3, startMs / 1e3 + seconds);
  }

  private void progress(String line) {
    if (json) {
      Console.error(line);
    } else {
      Console.info(line);
    }
  }

  /** The sharing check's lookups so far, by where they were answered: memory or store. */
  private static Map<String, Object> sharingLookups(ChaperoneMetrics metrics) {
    Map<String, Object> lookups = new LinkedHashMap<>();
    for (String result : List.of("memory", "store")) {
      lookups.put(
          result,
          metrics.count(ChaperoneMetrics.SHARING_LOOKUPS, ChaperoneMetrics.TAG_RESULT, result));
    }
    return lookups;
  }

  /** Each count of {@code now} less the same count of {@code before}. */
  private static Map<String, Object> since(Map<String, Object> now, Map<String, Object> before) {
    Map<String, Object> difference = new LinkedHashMap<>();
    now.forEach(
        (name, count) ->
            difference.put(
                name, ((Number) count).doubleValue() - ((Number) before.get(name)).doubleValue()));
    return difference;
  }

  /** The pacer's commit requests and deferrals since the counts given. */
  private static Map<String, Object> commits(
      ChaperoneMetrics metrics, double requestsBefore, double deferralsBefore) {
    Map<String, Object> commits = new LinkedHashMap<>();
    commits.put("requested", metrics.count(ChaperoneMetrics.COMMIT_REQUESTS) - requestsBefore);
    commits.put("deferred", metrics.count(ChaperoneMetrics.COMMIT_DEFERRALS) - deferralsBefore);
    return commits;
  }

  private static String commitsText(Map<String, Object> commits) {
    return String.format(
        Locale.ROOT,
        "; commits asked for while keeping up: %.0f, held back while behind: %.0f",
        commits.get("requested"),
        commits.get("deferred"));
  }

  /**
   * How far each topic but {@code input} and Kafka's own has been written: its partitions' end
   * offsets, summed. Under exactly-once an offset is a record or a transaction's commit marker (one
   * per partition and commit, a few hundred in a backlog of 100,000 events).
   */
  private static Map<String, Long> written(Admin admin, String input) throws Exception {
    Set<String> topics = new TreeSet<>(admin.listTopics().names().get());
    topics.removeIf(t -> t.equals(input) || t.startsWith("__"));
    Map<String, Long> written = new TreeMap<>();
    LocalRuns.endOffsets(admin, topics)
        .forEach((p, end) -> written.merge(p.topic(), end, Long::sum));
    return written;
  }

  /**
   * The bytes the broker holds for each topic but {@code input} and Kafka's own, over all its log
   * directories: what was written to them, as stored (compressed batches, their headers and the
   * transactions' markers), while nothing is deleted or compacted away (the cleaner leaves a
   * partition's active segment, of 1 GiB unless configured, alone).
   */
  private static Map<String, Long> bytesWritten(Admin admin, String input) throws Exception {
    List<Integer> brokers = new ArrayList<>();
    admin.describeCluster().nodes().get().forEach(node -> brokers.add(node.id()));
    Map<String, Long> bytes = new TreeMap<>();
    admin
        .describeLogDirs(brokers)
        .allDescriptions()
        .get()
        .forEach(
            (broker, dirs) ->
                dirs.forEach(
                    (dir, description) ->
                        description
                            .replicaInfos()
                            .forEach(
                                (partition, replica) -> {
                                  String topic = partition.topic();
                                  if (!topic.equals(input) && !topic.startsWith("__")) {
                                    bytes.merge(topic, replica.size(), Long::sum);
                                  }
                                })));
    return bytes;
  }

  /**
   * The records (or bytes) written to each topic between {@code before} and {@code after} per
   * event, to {@code digits} decimals (those that advanced at all, the most written first), and
   * their {@code total}. Topics of the detector's application id are named without it.
   */
  static Map<String, Object> perEvent(
      Map<String, Long> before, Map<String, Long> after, long events, int digits) {
    Map<String, Object> perEvent = new LinkedHashMap<>();
    double total = 0;
    List<Map.Entry<String, Long>> advanced = new ArrayList<>();
    after.forEach(
        (topic, end) -> {
          long delta = end - before.getOrDefault(topic, 0L);
          if (delta > 0) {
            advanced.add(Map.entry(topic, delta));
          }
        });
    advanced.sort(Map.Entry.<String, Long>comparingByValue().reversed());
    for (Map.Entry<String, Long> topic : advanced) {
      double share = (double) topic.getValue() / events;
      total += share;
      String name =
          topic.getKey().startsWith(APPLICATION_ID + "-")
              ? topic.getKey().substring(APPLICATION_ID.length() + 1)
              : topic.getKey();
      perEvent.put(name, rounded(share, digits));
    }
    perEvent.put("total", rounded(total, digits));
    return perEvent;
  }

  /** {@code value} to {@code digits} decimals; a whole number (a {@code Long}) for none. */
  private static Object rounded(double value, int digits) {
    if (digits == 0) {
      return Math.round(value); // not through a conditional expression, which makes it a double
    }
    return round(value, digits);
  }

  /** "total (topic n, topic n, ...)" of {@link #perEvent}. */
  static String writesText(Map<String, Object> perEvent) {
    StringBuilder topics = new StringBuilder();
    perEvent.forEach(
        (topic, n) -> {
          if (!topic.equals("total")) {
            topics.append(topics.length() == 0 ? "" : ", ").append(topic).append(' ').append(n);
          }
        });
    return perEvent.get("total") + " (" + topics + ")";
  }

  /** The end offsets of {@code topic}'s partitions now. */
  private static Map<TopicPartition, Long> endOffsets(Admin admin, String topic) throws Exception {
    return LocalRuns.endOffsets(admin, List.of(topic));
  }

  private static void awaitCount(LongSupplier count, long target) throws InterruptedException {
    long last = -1;
    long stalledSince = System.nanoTime();
    for (long now = count.getAsLong(); now < target; now = count.getAsLong()) {
      if (now != last) {
        last = now;
        stalledSince = System.nanoTime();
      } else if (System.nanoTime() - stalledSince > Duration.ofSeconds(60).toNanos()) {
        throw new IllegalStateException(
            "no progress for 60 s: " + now + " of " + target + " processed");
      }
      Thread.sleep(20);
    }
  }

  private static Properties benchProducerProps(String bootstrap) {
    Properties props = LocalRuns.producerProps(bootstrap);
    props.put(ProducerConfig.BATCH_SIZE_CONFIG, 256 * 1024);
    return props;
  }
}
