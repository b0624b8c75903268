package dev.chaperone.streams.config;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Range;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.types.Password;
import org.apache.kafka.streams.StreamsConfig;

/**
 * Everything the Chaperone app is configured with, declared once in Kafka's {@link ConfigDef}
 * style. Keys this class does not declare (any Kafka client or Kafka Streams setting, including
 * SASL and TLS) pass through unchanged to Kafka Streams via {@link #streamsProperties()}.
 */
public final class ChaperoneConfig extends AbstractConfig {

  public static final String BOOTSTRAP_SERVERS_CONFIG = StreamsConfig.BOOTSTRAP_SERVERS_CONFIG;
  private static final String BOOTSTRAP_SERVERS_DOC = "Kafka brokers to connect to, host:port,…";

  public static final String APPLICATION_ID_CONFIG = StreamsConfig.APPLICATION_ID_CONFIG;
  private static final String APPLICATION_ID_DOC =
      "Kafka Streams application id; instances with the same id share the work.";
  public static final String APPLICATION_ID_DEFAULT = "chaperone";

  public static final String SCHEMA_REGISTRY_URL_CONFIG = "schema.registry.url";
  private static final String SCHEMA_REGISTRY_URL_DOC =
      "Confluent-compatible schema registry (http(s)://…, comma-separated for several, or mock://<scope> for an "
          + "in-process one). Empty: records are written in Avro single-object encoding and Confluent-framed "
          + "records cannot be read.";

  public static final String SCHEMA_REGISTRY_BASIC_AUTH_CONFIG =
      "schema.registry.basic.auth.user.info";
  private static final String SCHEMA_REGISTRY_BASIC_AUTH_DOC =
      "user:password for the schema registry's basic auth.";

  public static final String SCHEMA_REGISTRY_BEARER_TOKEN_CONFIG =
      "schema.registry.bearer.auth.token";
  private static final String SCHEMA_REGISTRY_BEARER_TOKEN_DOC =
      "Bearer token for the schema registry.";

  public static final String SCHEMA_REGISTRY_TIMEOUT_MS_CONFIG =
      "schema.registry.request.timeout.ms";
  private static final String SCHEMA_REGISTRY_TIMEOUT_MS_DOC =
      "Timeout of one schema registry request.";

  public static final String ACTIONS_TOPIC_CONFIG = "chaperone.topic.actions";
  public static final String REGISTRY_TOPIC_CONFIG = "chaperone.topic.registry";
  public static final String CONFIG_TOPIC_CONFIG = "chaperone.topic.config";
  public static final String ALERTS_TOPIC_CONFIG = "chaperone.topic.alerts";
  public static final String VIOLATIONS_TOPIC_CONFIG = "chaperone.topic.delegation-violations";
  public static final String DEAD_LETTERS_TOPIC_CONFIG = "chaperone.topic.dead-letters";
  public static final String FEEDBACK_TOPIC_CONFIG = "chaperone.topic.feedback";

  public static final String OCSF_TOPIC_CONFIG = "chaperone.topic.alerts-ocsf";
  public static final String ECS_TOPIC_CONFIG = "chaperone.topic.alerts-ecs";

  public static final String RENDER_OCSF_CONFIG = "chaperone.render.ocsf";
  private static final String RENDER_OCSF_DOC =
      "Also write every alert as an OCSF Detection Finding (JSON) to the OCSF topic.";

  public static final String RENDER_ECS_CONFIG = "chaperone.render.ecs";
  private static final String RENDER_ECS_DOC =
      "Also write every alert as an Elastic Common Schema document (JSON) to the ECS topic.";

  public static final String SCORES_ENABLED_CONFIG = "chaperone.scores.enabled";
  private static final String SCORES_ENABLED_DOC =
      "Also write every event's scores (event and session σ, warm-up, top signals) as JSON to the scores topic: for backtesting.";
  public static final String SCORES_TOPIC_CONFIG = "chaperone.topic.scores";

  public static final String HTTP_ENABLED_CONFIG = "chaperone.http.enabled";
  public static final String HTTP_HOST_CONFIG = "chaperone.http.host";
  public static final String HTTP_PORT_CONFIG = "chaperone.http.port";
  public static final String HTTP_TOKEN_CONFIG = "chaperone.http.token";

  public static final String TOPICS_CREATE_CONFIG = "chaperone.topics.create";
  private static final String TOPICS_CREATE_DOC =
      "Create missing topics at start-up (existing ones are left alone).";

  public static final String TOPICS_PARTITIONS_CONFIG = "chaperone.topics.partitions";
  private static final String TOPICS_PARTITIONS_DOC = "Partitions of topics Chaperone creates.";

  public static final String TOPICS_REPLICATION_CONFIG = "chaperone.topics.replication.factor";
  private static final String TOPICS_REPLICATION_DOC =
      "Replication factor of topics Chaperone creates; -1 takes the broker's default.";

  public static final String FUTURE_TOLERANCE_MS_CONFIG = "chaperone.future.tolerance.ms";
  private static final String FUTURE_TOLERANCE_MS_DOC =
      "How far ahead of the wall clock an event may be dated before it is dead-lettered.";

  public static final String BASELINE_CACHE_CAPACITY_CONFIG = "chaperone.baseline.cache.capacity";
  private static final String BASELINE_CACHE_CAPACITY_DOC =
      "Decoded baselines kept in memory per stream task; dirty ones are written back at each commit.";

  public static final String SHARING_MEMORY_CAPACITY_CONFIG = "chaperone.sharing.memory.capacity";
  private static final String SHARING_MEMORY_CAPACITY_DOC =
      "Credentials and principals whose last day of users each stream task of the sharing check"
          + " holds in memory in front of its window store (the most recently used); uses of others"
          + " are read from the store.";

  public static final String UNREGISTERED_MAX_TRACKED_CONFIG = "chaperone.unregistered.max.tracked";
  private static final String UNREGISTERED_MAX_TRACKED_DOC =
      "Unregistered agents each stream task (partition) follows one by one: inventory entry,"
          + " baseline, alerts of their own. Actions of further unknown agents only update one"
          + " fleet-level UNREGISTERED_AGENT alert.";

  public static final String UNREGISTERED_ADMISSIONS_PER_HOUR_CONFIG =
      "chaperone.unregistered.admissions.per.hour";
  private static final String UNREGISTERED_ADMISSIONS_PER_HOUR_DOC =
      "New unregistered agents each stream task starts following per hour of event time, so that a"
          + " flood of made-up ids pages the SOC once, not once per id.";

  public static final String COMMIT_BACKLOG_INTERVAL_MS_CONFIG =
      "chaperone.commit.backlog.interval.ms";

  /** The backlog interval unless given: commits are paced by default. */
  public static final long DEFAULT_COMMIT_BACKLOG_INTERVAL_MS = 1_000L;

  private static final String COMMIT_BACKLOG_INTERVAL_MS_DOC =
      "How often at most a stream thread commits while it is behind its input, instead of every"
          + " commit.interval.ms: a thread whose last action was taken up, by its Kafka timestamp,"
          + " more than twice commit.interval.ms after it was written commits once per half that"
          + " lateness, up to this; each commit then writes back the state of more events at once,"
          + " so a detector with a backlog catches up faster. Kafka Streams' commit.interval.ms is"
          + " set to this; Chaperone asks for the commits in between. 0, or anything not above"
          + " commit.interval.ms, turns the pacing off. In chaperone bench a paced backlog was"
          + " scored 13-55% faster, and a detector that keeps up is not paced (docs/operations.md).";

  public static final String UNREGISTERED_TTL_MS_CONFIG = "chaperone.unregistered.ttl.ms";
  private static final String UNREGISTERED_TTL_MS_DOC =
      "An unregistered agent silent this long (event time) is forgotten with its state.";

  private static final ConfigDef CONFIG =
      new ConfigDef()
          .define(
              BOOTSTRAP_SERVERS_CONFIG,
              Type.LIST,
              "localhost:9092",
              Importance.HIGH,
              BOOTSTRAP_SERVERS_DOC)
          .define(
              APPLICATION_ID_CONFIG,
              Type.STRING,
              APPLICATION_ID_DEFAULT,
              new ConfigDef.NonEmptyString(),
              Importance.HIGH,
              APPLICATION_ID_DOC)
          .define(
              SCHEMA_REGISTRY_URL_CONFIG, Type.STRING, "", Importance.HIGH, SCHEMA_REGISTRY_URL_DOC)
          .define(
              SCHEMA_REGISTRY_BASIC_AUTH_CONFIG,
              Type.PASSWORD,
              null,
              Importance.MEDIUM,
              SCHEMA_REGISTRY_BASIC_AUTH_DOC)
          .define(
              SCHEMA_REGISTRY_BEARER_TOKEN_CONFIG,
              Type.PASSWORD,
              null,
              Importance.MEDIUM,
              SCHEMA_REGISTRY_BEARER_TOKEN_DOC)
          .define(
              SCHEMA_REGISTRY_TIMEOUT_MS_CONFIG,
              Type.LONG,
              10_000L,
              Range.atLeast(1),
              Importance.LOW,
              SCHEMA_REGISTRY_TIMEOUT_MS_DOC)
          .define(
              ACTIONS_TOPIC_CONFIG,
              Type.STRING,
              Topics.AGENT_ACTIONS,
              new ConfigDef.NonEmptyString(),
              Importance.MEDIUM,
              "Topic agents publish actions to.")
          .define(
              REGISTRY_TOPIC_CONFIG,
              Type.STRING,
              Topics.AGENT_REGISTRY,
              new ConfigDef.NonEmptyString(),
              Importance.MEDIUM,
              "Compacted agent registry topic.")
          .define(
              CONFIG_TOPIC_CONFIG,
              Type.STRING,
              Topics.CONFIG,
              new ConfigDef.NonEmptyString(),
              Importance.MEDIUM,
              "Compacted detector config topic.")
          .define(
              ALERTS_TOPIC_CONFIG,
              Type.STRING,
              Topics.ALERTS,
              new ConfigDef.NonEmptyString(),
              Importance.MEDIUM,
              "Alert topic the SOC consumes.")
          .define(
              VIOLATIONS_TOPIC_CONFIG,
              Type.STRING,
              Topics.DELEGATION_VIOLATIONS,
              new ConfigDef.NonEmptyString(),
              Importance.MEDIUM,
              "Delegation violation topic.")
          .define(
              DEAD_LETTERS_TOPIC_CONFIG,
              Type.STRING,
              Topics.DEAD_LETTERS,
              new ConfigDef.NonEmptyString(),
              Importance.MEDIUM,
              "Dead-letter topic.")
          .define(
              FEEDBACK_TOPIC_CONFIG,
              Type.STRING,
              Topics.FEEDBACK,
              new ConfigDef.NonEmptyString(),
              Importance.MEDIUM,
              "Analyst feedback topic.")
          .define(
              OCSF_TOPIC_CONFIG,
              Type.STRING,
              Topics.ALERTS_OCSF,
              new ConfigDef.NonEmptyString(),
              Importance.MEDIUM,
              "Topic of the OCSF rendering of alerts.")
          .define(
              ECS_TOPIC_CONFIG,
              Type.STRING,
              Topics.ALERTS_ECS,
              new ConfigDef.NonEmptyString(),
              Importance.MEDIUM,
              "Topic of the ECS rendering of alerts.")
          .define(RENDER_OCSF_CONFIG, Type.BOOLEAN, true, Importance.MEDIUM, RENDER_OCSF_DOC)
          .define(RENDER_ECS_CONFIG, Type.BOOLEAN, true, Importance.MEDIUM, RENDER_ECS_DOC)
          .define(SCORES_ENABLED_CONFIG, Type.BOOLEAN, false, Importance.LOW, SCORES_ENABLED_DOC)
          .define(
              SCORES_TOPIC_CONFIG,
              Type.STRING,
              Topics.SCORES,
              new ConfigDef.NonEmptyString(),
              Importance.LOW,
              "Topic of per-event scores.")
          .define(
              HTTP_ENABLED_CONFIG,
              Type.BOOLEAN,
              true,
              Importance.MEDIUM,
              "Serve the operations HTTP interface (/healthz, /readyz, /metrics, /agents, /config).")
          .define(
              HTTP_HOST_CONFIG,
              Type.STRING,
              "127.0.0.1",
              new ConfigDef.NonEmptyString(),
              Importance.MEDIUM,
              "Address the HTTP interface binds to; loopback unless opened deliberately. With several"
                  + " instances, set application.server to the host:port the others reach it at.")
          .define(
              HTTP_PORT_CONFIG,
              Type.INT,
              8080,
              ConfigDef.Range.between(0, 65535),
              Importance.MEDIUM,
              "Port of the HTTP interface (0: any free port).")
          .define(
              HTTP_TOKEN_CONFIG,
              Type.PASSWORD,
              null,
              Importance.MEDIUM,
              "Bearer token the HTTP interface requires on every request but the probes"
                  + " (/healthz, /readyz); none by default.")
          .define(TOPICS_CREATE_CONFIG, Type.BOOLEAN, true, Importance.MEDIUM, TOPICS_CREATE_DOC)
          .define(
              TOPICS_PARTITIONS_CONFIG,
              Type.INT,
              6,
              Range.between(1, 10_000),
              Importance.MEDIUM,
              TOPICS_PARTITIONS_DOC)
          .define(
              TOPICS_REPLICATION_CONFIG,
              Type.SHORT,
              (short) -1,
              Importance.MEDIUM,
              TOPICS_REPLICATION_DOC)
          .define(
              BASELINE_CACHE_CAPACITY_CONFIG,
              Type.INT,
              10_000,
              Range.atLeast(1),
              Importance.MEDIUM,
              BASELINE_CACHE_CAPACITY_DOC)
          .define(
              SHARING_MEMORY_CAPACITY_CONFIG,
              Type.INT,
              100_000,
              Range.atLeast(1),
              Importance.LOW,
              SHARING_MEMORY_CAPACITY_DOC)
          .define(
              UNREGISTERED_MAX_TRACKED_CONFIG,
              Type.INT,
              1_000,
              Range.atLeast(0),
              Importance.MEDIUM,
              UNREGISTERED_MAX_TRACKED_DOC)
          .define(
              UNREGISTERED_ADMISSIONS_PER_HOUR_CONFIG,
              Type.INT,
              20,
              Range.atLeast(0),
              Importance.MEDIUM,
              UNREGISTERED_ADMISSIONS_PER_HOUR_DOC)
          .define(
              UNREGISTERED_TTL_MS_CONFIG,
              Type.LONG,
              Duration.ofDays(7).toMillis(),
              Range.atLeast(1),
              Importance.LOW,
              UNREGISTERED_TTL_MS_DOC)
          .define(
              FUTURE_TOLERANCE_MS_CONFIG,
              Type.LONG,
              Duration.ofMinutes(10).toMillis(),
              Range.atLeast(0),
              Importance.LOW,
              FUTURE_TOLERANCE_MS_DOC)
          .define(
              COMMIT_BACKLOG_INTERVAL_MS_CONFIG,
              Type.LONG,
              DEFAULT_COMMIT_BACKLOG_INTERVAL_MS,
              Range.atLeast(0),
              Importance.LOW,
              COMMIT_BACKLOG_INTERVAL_MS_DOC);

  public ChaperoneConfig(Map<?, ?> originals) {
    super(CONFIG, originals, false);
    short replication = getShort(TOPICS_REPLICATION_CONFIG);
    if (replication == 0 || replication < -1) {
      throw new org.apache.kafka.common.config.ConfigException(
          TOPICS_REPLICATION_CONFIG, replication, "must be -1 (broker default) or at least 1");
    }
  }

  /** The declared keys, with docs, for {@code --help} and the docs. */
  public static ConfigDef configDef() {
    return new ConfigDef(CONFIG);
  }

  public String applicationId() {
    return getString(APPLICATION_ID_CONFIG);
  }

  public String bootstrapServers() {
    return String.join(",", getList(BOOTSTRAP_SERVERS_CONFIG));
  }

  public String schemaRegistryUrl() {
    return getString(SCHEMA_REGISTRY_URL_CONFIG);
  }

  public String schemaRegistryBasicAuth() {
    Password password = getPassword(SCHEMA_REGISTRY_BASIC_AUTH_CONFIG);
    return password == null ? null : password.value();
  }

  public String schemaRegistryBearerToken() {
    Password password = getPassword(SCHEMA_REGISTRY_BEARER_TOKEN_CONFIG);
    return password == null ? null : password.value();
  }

  public Duration schemaRegistryTimeout() {
    return Duration.ofMillis(getLong(SCHEMA_REGISTRY_TIMEOUT_MS_CONFIG));
  }

  public String actionsTopic() {
    return getString(ACTIONS_TOPIC_CONFIG);
  }

  public String registryTopic() {
    return getString(REGISTRY_TOPIC_CONFIG);
  }

  public String configTopic() {
    return getString(CONFIG_TOPIC_CONFIG);
  }

  public String alertsTopic() {
    return getString(ALERTS_TOPIC_CONFIG);
  }

  public String violationsTopic() {
    return getString(VIOLATIONS_TOPIC_CONFIG);
  }

  public String deadLettersTopic() {
    return getString(DEAD_LETTERS_TOPIC_CONFIG);
  }

  public String feedbackTopic() {
    return getString(FEEDBACK_TOPIC_CONFIG);
  }

  public String ocsfTopic() {
    return getString(OCSF_TOPIC_CONFIG);
  }

  public String ecsTopic() {
    return getString(ECS_TOPIC_CONFIG);
  }

  public boolean renderOcsf() {
    return getBoolean(RENDER_OCSF_CONFIG);
  }

  public boolean renderEcs() {
    return getBoolean(RENDER_ECS_CONFIG);
  }

  public boolean scoresEnabled() {
    return getBoolean(SCORES_ENABLED_CONFIG);
  }

  public String scoresTopic() {
    return getString(SCORES_TOPIC_CONFIG);
  }

  public boolean httpEnabled() {
    return getBoolean(HTTP_ENABLED_CONFIG);
  }

  public String httpHost() {
    return getString(HTTP_HOST_CONFIG);
  }

  public int httpPort() {
    return getInt(HTTP_PORT_CONFIG);
  }

  /** The bearer token of the HTTP interface, or null. */
  public String httpToken() {
    Password token = getPassword(HTTP_TOKEN_CONFIG);
    return token == null || token.value().isEmpty() ? null : token.value();
  }

  public boolean createTopics() {
    return getBoolean(TOPICS_CREATE_CONFIG);
  }

  public int topicPartitions() {
    return getInt(TOPICS_PARTITIONS_CONFIG);
  }

  public short topicReplicationFactor() {
    return getShort(TOPICS_REPLICATION_CONFIG);
  }

  public int baselineCacheCapacity() {
    return getInt(BASELINE_CACHE_CAPACITY_CONFIG);
  }

  public int sharingMemoryCapacity() {
    return getInt(SHARING_MEMORY_CAPACITY_CONFIG);
  }

  /** The bounds on unregistered agents followed one by one, per stream task. */
  public dev.chaperone.streams.fleet.UnregisteredAgents.Limits unregisteredLimits() {
    return new dev.chaperone.streams.fleet.UnregisteredAgents.Limits(
        getInt(UNREGISTERED_MAX_TRACKED_CONFIG),
        getInt(UNREGISTERED_ADMISSIONS_PER_HOUR_CONFIG),
        Duration.ofMillis(getLong(UNREGISTERED_TTL_MS_CONFIG)));
  }

  /**
   * How often to commit while a stream thread keeps up: {@code commit.interval.ms} as given, else
   * {@value #EXACTLY_ONCE_COMMIT_INTERVAL_MS} under exactly-once, else Kafka Streams' default.
   */
  public long commitIntervalMs() {
    Object given = unpacedStreamsProperties().get(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG);
    if (given == null) {
      given =
          StreamsConfig.configDef().defaultValues().get(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG);
    }
    return (Long) ConfigDef.parseType(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, given, Type.LONG);
  }

  /** Whether commits are paced: see {@link #COMMIT_BACKLOG_INTERVAL_MS_CONFIG}. */
  public boolean commitPaced() {
    return dev.chaperone.streams.processor.CommitPacer.paces(
        commitIntervalMs(), commitBacklogIntervalMs());
  }

  /** How often to commit while a stream thread has a backlog; see {@link #commitPacer}. */
  public long commitBacklogIntervalMs() {
    return getLong(COMMIT_BACKLOG_INTERVAL_MS_CONFIG);
  }

  /**
   * The pacer that asks for the commits between Kafka Streams' own, counting into {@code metrics}.
   */
  public dev.chaperone.streams.processor.CommitPacer commitPacer(
      dev.chaperone.streams.metrics.ChaperoneMetrics metrics) {
    return new dev.chaperone.streams.processor.CommitPacer(
        commitIntervalMs(), commitBacklogIntervalMs(), metrics);
  }

  public long futureToleranceMs() {
    return getLong(FUTURE_TOLERANCE_MS_CONFIG);
  }

  /**
   * The settings a plain Kafka client of the CLI needs (bootstrap servers, security, …): the
   * Streams properties restricted to {@code clientConfigNames}, e.g. {@code
   * ConsumerConfig.configNames()}.
   */
  public Properties clientProperties(Set<String> clientConfigNames) {
    Properties props = new Properties();
    streamsProperties()
        .forEach(
            (k, v) -> {
              if (clientConfigNames.contains(k.toString())) {
                props.put(k, v);
              }
            });
    return props;
  }

  /**
   * Stream threads unless {@code num.stream.threads} is given: one per core of {@code processors},
   * at most one per partition of the topics Chaperone creates (each sub-topology has that many
   * tasks; a thread beyond them would idle).
   */
  int defaultStreamThreads(int processors) {
    return Math.max(1, Math.min(processors, topicPartitions()));
  }

  /** The commit interval under exactly-once unless {@code commit.interval.ms} is given. */
  public static final long EXACTLY_ONCE_COMMIT_INTERVAL_MS = 50L;

  /**
   * The Kafka Streams properties: Chaperone's defaults (exactly-once v2 committing every {@value
   * #EXACTLY_ONCE_COMMIT_INTERVAL_MS} ms, no task idling, byte-array default serdes, the
   * dead-letter-aware exception handlers, producers batching with LZ4: {@link #producerDefaults}),
   * overridden by every key the user gave that this class does not declare; with commit pacing on
   * (the default), {@code commit.interval.ms} is the backlog interval ({@link
   * #COMMIT_BACKLOG_INTERVAL_MS_CONFIG}) and the topology asks for the commits between; {@code
   * poll.ms}, unless given, is half the commit interval ({@code pollMs}).
   */
  public Properties streamsProperties() {
    Properties props = unpacedStreamsProperties();
    if (commitPaced()) {
      props.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, commitBacklogIntervalMs());
    }
    if (!originals().containsKey(StreamsConfig.POLL_MS_CONFIG)) {
      props.put(StreamsConfig.POLL_MS_CONFIG, pollMs(commitIntervalMs()));
    }
    return props;
  }

  /** Kafka Streams' own {@code poll.ms} (100 ms), as its config defines it. */
  static final long KAFKA_STREAMS_POLL_MS =
      (Long) StreamsConfig.configDef().defaultValues().get(StreamsConfig.POLL_MS_CONFIG);

  /**
   * How long a stream thread waits in {@code poll} for input unless {@code poll.ms} is given: half
   * the commit interval ({@value #EXACTLY_ONCE_COMMIT_INTERVAL_MS} ms under exactly-once: 25 ms),
   * at most Kafka Streams' own ({@link #KAFKA_STREAMS_POLL_MS}). A thread commits, and runs the
   * commit pacer's punctuation, only between polls: with Kafka Streams' 100 ms, a record that came
   * within an interval of the last commit, its thread then waiting for more, was committed up to
   * 100 ms after it was due, and the pacer's punctuation, which tells when a thread is waiting for
   * input, ran as late. Waking twice an interval costs an idle thread 40 empty polls a second.
   */
  static long pollMs(long commitIntervalMs) {
    if (commitIntervalMs <= 0) {
      return KAFKA_STREAMS_POLL_MS; // commits after every loop anyway
    }
    return Math.max(1, Math.min(KAFKA_STREAMS_POLL_MS, commitIntervalMs / 2));
  }

  private Properties unpacedStreamsProperties() {
    Properties props = new Properties();
    props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
    props.put(
        StreamsConfig.DEFAULT_KEY_SERDE_CLASS_CONFIG,
        org.apache.kafka.common.serialization.Serdes.ByteArraySerde.class);
    props.put(
        StreamsConfig.DEFAULT_VALUE_SERDE_CLASS_CONFIG,
        org.apache.kafka.common.serialization.Serdes.ByteArraySerde.class);
    props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    // A task reads actions beside slower inputs (feedback, repartitioned shared-credential
    // alerts). Detection orders by each action's own event time, so the task need not wait for
    // the other inputs to synchronise stream time; and with waiting enabled Kafka Streams 4.3
    // formats a log string for every record of a task with an empty input (measured: a third of
    // the stream thread's CPU).
    props.put(StreamsConfig.MAX_TASK_IDLE_MS_CONFIG, -1L);
    // Kafka Streams 5.0's behaviour, and without it 4.3 warns at every start: the global thread
    // (registry, config) uses the processing exception handler too. Chaperone's global updaters
    // reject bad records themselves; only a schema registry that cannot be reached reaches the
    // handler, whose default (log and fail) stops the instance (see GlobalTableUpdater).
    props.put(StreamsConfig.PROCESSING_EXCEPTION_HANDLER_GLOBAL_ENABLED_CONFIG, true);
    // one bounded block cache and memtable budget for every RocksDB instance of the process
    props.put(
        StreamsConfig.ROCKSDB_CONFIG_SETTER_CLASS_CONFIG,
        dev.chaperone.streams.state.BoundedRocksDbConfig.class);
    Map<String, Object> passThrough = new HashMap<>(originals());
    for (String declared : CONFIG.names()) {
      if (declared.startsWith("chaperone.") || declared.startsWith("schema.registry.")) {
        passThrough.remove(declared);
      }
    }
    props.putAll(passThrough);
    // Under exactly-once an alert is readable when its transaction commits, at most one commit
    // interval after it was raised. `chaperone bench` at 5,000 events/s, Kafka Streams' 100 ms
    // against 50: p50 118-145 against 80-90 ms, p95 191-243 against 152-185, p99 211-315 against
    // 199-288 (2 December, 7 and 5 runs); no throughput difference it could resolve.
    if (!passThrough.containsKey(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG)
        && StreamsConfig.EXACTLY_ONCE_V2.equals(
            props.get(StreamsConfig.PROCESSING_GUARANTEE_CONFIG))) {
      props.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, EXACTLY_ONCE_COMMIT_INTERVAL_MS);
    }
    // Under exactly-once a stream thread waits on the broker at every commit (the producer's
    // flush, the offsets, the end of the transaction): a second thread processes while the first
    // waits. `chaperone bench`, 2,000 agents, this 2-core machine with the broker beside it, 2
    // December: one thread 6,800-10,100 events/s and p99 490-1,240 ms at 5,000 events/s (4 runs),
    // two threads 10,300-13,800 events/s and p99 320-380 ms (3 runs), alternating.
    if (!passThrough.containsKey(StreamsConfig.NUM_STREAM_THREADS_CONFIG)) {
      props.put(
          StreamsConfig.NUM_STREAM_THREADS_CONFIG,
          defaultStreamThreads(Runtime.getRuntime().availableProcessors()));
    }
    producerDefaults(props, passThrough.keySet());
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, applicationId());
    props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
    return props;
  }

  /** The stream threads' producers' batch size unless given: {@value} bytes. */
  public static final int PRODUCER_BATCH_BYTES = 256 * 1024;

  /** The stream threads' producers' buffer memory unless given: {@value} bytes. */
  public static final long PRODUCER_BUFFER_BYTES = 64L * 1024 * 1024;

  /** The stream threads' producers' compression unless given. */
  public static final String PRODUCER_COMPRESSION = "lz4";

  /**
   * Chaperone writes 2.7 records per action it reads (the score, the state it changed, the
   * credential uses and the sharing check's window): a producer of Kafka's defaults (16 KiB
   * batches, no compression) sends them in many small requests, and in a profile of the broker its
   * appends and their writes were most of its request handlers' time. LZ4 batches of up to 256 KiB:
   * `chaperone bench`, 3 December, see docs/operations.md. A key given with or without the {@code
   * producer.} prefix wins; the buffer memory is raised with the batch size, as a thread's producer
   * holds up to one batch per partition it writes to.
   */
  private static void producerDefaults(Properties props, Set<String> given) {
    producerDefault(props, given, ProducerConfig.COMPRESSION_TYPE_CONFIG, PRODUCER_COMPRESSION);
    producerDefault(props, given, ProducerConfig.BATCH_SIZE_CONFIG, PRODUCER_BATCH_BYTES);
    producerDefault(props, given, ProducerConfig.BUFFER_MEMORY_CONFIG, PRODUCER_BUFFER_BYTES);
  }

  private static void producerDefault(
      Properties props, Set<String> given, String key, Object value) {
    String prefixed = StreamsConfig.producerPrefix(key);
    if (!given.contains(key) && !given.contains(prefixed)) {
      props.put(prefixed, value);
    }
  }
}
