package org.apache.kafka.streams;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.function.Supplier;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.consumer.internals.AutoOffsetResetStrategy;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.Cluster;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.metrics.MetricConfig;
import org.apache.kafka.common.metrics.Metrics;
import org.apache.kafka.common.metrics.Sensor;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.utils.LogContext;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.streams.errors.LogAndContinueExceptionHandler;
import org.apache.kafka.streams.errors.ProcessingExceptionHandler;
import org.apache.kafka.streams.internals.StreamsConfigUtils;
import org.apache.kafka.streams.processor.StateRestoreListener;
import org.apache.kafka.streams.processor.TaskId;
import org.apache.kafka.streams.processor.internals.ClientUtils;
import org.apache.kafka.streams.processor.internals.GlobalProcessorContextImpl;
import org.apache.kafka.streams.processor.internals.GlobalStateManagerImpl;
import org.apache.kafka.streams.processor.internals.GlobalStateUpdateTask;
import org.apache.kafka.streams.processor.internals.InternalTopologyBuilder;
import org.apache.kafka.streams.processor.internals.ProcessorContextImpl;
import org.apache.kafka.streams.processor.internals.ProcessorStateManager;
import org.apache.kafka.streams.processor.internals.ProcessorTopology;
import org.apache.kafka.streams.processor.internals.RecordCollectorImpl;
import org.apache.kafka.streams.processor.internals.StateDirectory;
import org.apache.kafka.streams.processor.internals.StreamTask;
import org.apache.kafka.streams.processor.internals.StreamsProducer;
import org.apache.kafka.streams.processor.internals.Task;
import org.apache.kafka.streams.processor.internals.metrics.StreamsMetricsImpl;
import org.apache.kafka.streams.processor.internals.metrics.TaskMetrics;
import org.apache.kafka.streams.state.internals.ThreadCache;

/**
 * Runs a topology in the calling thread over the records piped to it, for {@code chaperone replay}:
 * one task of partition 0 holding every sub-topology, global stores updated in line, and whatever
 * the task produces to one of its own source topics processed at once, as {@code
 * TopologyTestDriver} does, so a replay is deterministic and its alerts are those of the same
 * records in the same order.
 *
 * <p>What it leaves out of {@code TopologyTestDriver} is what a replay of a million records pays
 * for per record there: a commit after every record (here every {@value #COMMIT_EVERY} records, or
 * when a processor asks), a regular expression compiled per source topic for every record piped and
 * produced (here a map lookup; a source subscribed by pattern is not supported), transactions (a
 * replay runs at-least-once; its stores end with the process), and keeping every record produced
 * until read (here only the topics {@link #capture captured}; the rest, repartitioned records
 * included, are dropped once routed).
 *
 * <p>It lives in Kafka Streams' package for the one thing {@code TopologyTestDriver} also takes
 * from there, the topology's internal builder, and otherwise builds the task with the same internal
 * classes in the same way (kafka-streams-test-utils 4.3.1); a Kafka Streams upgrade that changes
 * them fails {@code ReplayCommandTest} and {@code ReplayDriverTest}.
 */
public final class ReplayDriver implements AutoCloseable {
  /** Records processed between two commits when no processor asks for one sooner. */
  static final int COMMIT_EVERY = 10_000;

  private static final TaskId TASK_ID = new TaskId(0, 0);
  private static final StateRestoreListener NO_RESTORES =
      new StateRestoreListener() {
        @Override
        public void onRestoreStart(TopicPartition partition, String store, long from, long to) {}

        @Override
        public void onBatchRestored(TopicPartition partition, String store, long end, long n) {}

        @Override
        public void onRestoreEnd(TopicPartition partition, String store, long total) {}
      };

  private final Time clock;
  private final Metrics metrics;
  private final StateDirectory stateDirectory;
  private final MockConsumer<byte[], byte[]> consumer;
  private final MockProducer<byte[], byte[]> producer;
  private final Map<String, TopicPartition> sources = new HashMap<>();
  private final Map<String, TopicPartition> globalSources = new HashMap<>();
  private final Map<TopicPartition, long[]> nextOffsets = new HashMap<>();
  private final Map<String, List<ProducerRecord<byte[], byte[]>>> captured = new HashMap<>();
  private final GlobalStateUpdateTask globalTask;
  private final StreamTask task;
  private final int commitEvery;
  private int uncommitted;

  /**
   * A driver for {@code topology} configured by {@code config} (its processing guarantee is
   * replaced by at-least-once), whose wall clock stands still at {@code wallClockMs}.
   */
  public ReplayDriver(Topology topology, Properties config, long wallClockMs) {
    this(topology, config, wallClockMs, COMMIT_EVERY);
  }

  ReplayDriver(Topology topology, Properties config, long wallClockMs, int commitEvery) {
    this.commitEvery = commitEvery;
    Properties props = new Properties();
    props.putAll(config);
    props.putIfAbsent(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "in-process:0");
    props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.AT_LEAST_ONCE);
    StreamsConfig streamsConfig = new ClientUtils.QuietStreamsConfig(props);
    LogContext logContext = new LogContext("replay ");
    clock = new StoppedClock(wallClockMs);

    metrics =
        new Metrics(
            new MetricConfig()
                .samples(streamsConfig.getInt(StreamsConfig.METRICS_NUM_SAMPLES_CONFIG))
                .recordLevel(
                    Sensor.RecordingLevel.forName(
                        streamsConfig.getString(StreamsConfig.METRICS_RECORDING_LEVEL_CONFIG))),
            clock);
    StreamsMetricsImpl streamsMetrics = new StreamsMetricsImpl(metrics, "replay", clock);
    TaskMetrics.droppedRecordsSensor(
        Thread.currentThread().getName(), TASK_ID.toString(), streamsMetrics);

    InternalTopologyBuilder builder = topology.internalTopologyBuilder;
    builder.rewriteTopology(streamsConfig);
    ProcessorTopology processors = builder.buildTopology();
    ProcessorTopology globals = builder.buildGlobalStateTopology();
    for (String topic : processors.sourceTopics()) {
      TopicPartition partition = new TopicPartition(topic, 0);
      sources.put(topic, partition);
      nextOffsets.put(partition, new long[1]);
    }
    stateDirectory = new StateDirectory(streamsConfig, clock, builder.hasPersistentStores(), false);
    ThreadCache cache =
        new ThreadCache(
            logContext,
            Math.max(0, streamsConfig.getLong(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG)),
            streamsMetrics);

    consumer = new MockConsumer<>(AutoOffsetResetStrategy.EARLIEST.name());
    ByteArraySerializer bytes = new ByteArraySerializer();
    producer =
        new MockProducer<>(Cluster.empty(), true, null, bytes, bytes) {
          @Override
          public List<PartitionInfo> partitionsFor(String topic) {
            return List.of(new PartitionInfo(topic, 0, null, null, null));
          }
        };
    StreamsProducer streamsProducer =
        new StreamsProducer(
            producer, StreamsConfigUtils.processingMode(streamsConfig), clock, logContext);

    globalTask =
        globals == null
            ? null
            : globalTask(globals, streamsConfig, streamsMetrics, cache, logContext);
    task =
        sources.isEmpty()
            ? null
            : task(
                processors,
                builder,
                streamsConfig,
                streamsMetrics,
                cache,
                streamsProducer,
                logContext);
  }

  private GlobalStateUpdateTask globalTask(
      ProcessorTopology globals,
      StreamsConfig streamsConfig,
      StreamsMetricsImpl streamsMetrics,
      ThreadCache cache,
      LogContext logContext) {
    MockConsumer<byte[], byte[]> globalConsumer =
        new MockConsumer<>(AutoOffsetResetStrategy.NONE.name());
    for (String topic : globals.sourceTopics()) {
      TopicPartition partition = new TopicPartition(topic, 0);
      globalSources.put(topic, partition);
      nextOffsets.put(partition, new long[1]);
      globalConsumer.updatePartitions(
          topic, List.of(new PartitionInfo(topic, 0, null, null, null)));
      globalConsumer.updateBeginningOffsets(Map.of(partition, 0L));
      globalConsumer.updateEndOffsets(Map.of(partition, 0L));
    }
    GlobalStateManagerImpl stateManager =
        new GlobalStateManagerImpl(
            logContext, clock, globals, globalConsumer, stateDirectory, NO_RESTORES, streamsConfig);
    GlobalProcessorContextImpl context =
        new GlobalProcessorContextImpl(streamsConfig, stateManager, streamsMetrics, cache, clock);
    stateManager.setGlobalProcessorContext(context);
    @SuppressWarnings("deprecation")
    boolean handled =
        streamsConfig.getBoolean(StreamsConfig.PROCESSING_EXCEPTION_HANDLER_GLOBAL_ENABLED_CONFIG);
    ProcessingExceptionHandler handler =
        handled ? streamsConfig.processingExceptionHandler() : null;
    GlobalStateUpdateTask updateTask =
        new GlobalStateUpdateTask(
            logContext,
            globals,
            context,
            stateManager,
            new LogAndContinueExceptionHandler(),
            handler,
            clock,
            streamsConfig.getLong(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG));
    updateTask.initialize();
    return updateTask;
  }

  private StreamTask task(
      ProcessorTopology processors,
      InternalTopologyBuilder builder,
      StreamsConfig streamsConfig,
      StreamsMetricsImpl streamsMetrics,
      ThreadCache cache,
      StreamsProducer streamsProducer,
      LogContext logContext) {
    Set<TopicPartition> partitions = new HashSet<>(sources.values());
    consumer.assign(partitions);
    Map<TopicPartition, Long> beginnings = new HashMap<>();
    partitions.forEach(partition -> beginnings.put(partition, 0L));
    consumer.updateBeginningOffsets(beginnings);
    ProcessorStateManager stateManager =
        new ProcessorStateManager(
            TASK_ID,
            Task.TaskType.ACTIVE,
            false,
            logContext,
            stateDirectory,
            processors.storeToChangelogTopic(),
            partitions);
    RecordCollectorImpl collector =
        new RecordCollectorImpl(
            logContext,
            TASK_ID,
            streamsProducer,
            streamsConfig.productionExceptionHandler(),
            streamsMetrics,
            processors);
    ProcessorContextImpl context =
        new ProcessorContextImpl(TASK_ID, streamsConfig, stateManager, streamsMetrics, cache);
    StreamTask streamTask =
        new StreamTask(
            TASK_ID,
            partitions,
            processors,
            consumer,
            builder.topologyConfigs().getTaskConfig(),
            streamsMetrics,
            stateDirectory,
            cache,
            clock,
            stateManager,
            collector,
            context,
            logContext,
            false);
    streamTask.initializeIfNeeded();
    streamTask.completeRestoration(noResetter -> {});
    for (TopicPartition partition : streamTask.inputPartitions()) {
      streamTask.updateNextOffsets(partition, new OffsetAndMetadata(0, Optional.empty(), ""));
    }
    return streamTask;
  }

  /** Keeps what the topology produces to {@code topic} until {@link #drain drained}. */
  public void capture(String topic) {
    captured.putIfAbsent(topic, new ArrayList<>());
  }

  /** The records produced to a captured {@code topic} since the last drain, oldest first. */
  public List<ProducerRecord<byte[], byte[]>> drain(String topic) {
    if (!captured.containsKey(topic)) {
      throw new IllegalArgumentException("Not captured: " + topic);
    }
    return captured.put(topic, new ArrayList<>());
  }

  /**
   * Processes one record of a source or global topic at event time {@code timestamp}, and all it
   * leads to.
   *
   * @throws IllegalArgumentException for a topic the topology does not read
   */
  public void pipe(String topic, byte[] key, byte[] value, long timestamp) {
    TopicPartition source = sources.get(topic);
    TopicPartition global = globalSources.get(topic);
    if (source == null && global == null) {
      throw new IllegalArgumentException("Not a source topic of the topology: " + topic);
    }
    Headers headers = new RecordHeaders();
    if (source != null) {
      enqueue(source, timestamp, key, value, headers);
      processAll();
    }
    if (global != null) {
      updateGlobal(global, timestamp, key, value, headers);
    }
  }

  private void processAll() {
    route();
    if (task == null) {
      return;
    }
    task.resumePollingForPartitionsWithAvailableSpace();
    task.updateLags();
    long now = clock.milliseconds();
    while (task.hasRecordsQueued() && task.isProcessable(now)) {
      task.process(now);
      task.maybePunctuateStreamTime();
      route();
      if (++uncommitted >= commitEvery || task.commitRequested()) {
        commit();
      }
    }
  }

  private void commit() {
    Map<TopicPartition, OffsetAndMetadata> offsets = task.prepareCommit(true);
    consumer.commitSync(offsets);
    task.postCommit(true);
    uncommitted = 0;
  }

  /**
   * Takes what the task produced: records of its own source topics are queued for it, of global
   * topics applied, of captured topics kept; the rest are dropped.
   */
  private void route() {
    List<ProducerRecord<byte[], byte[]>> sent = producer.history();
    if (sent.isEmpty()) {
      return;
    }
    producer.clear();
    for (ProducerRecord<byte[], byte[]> record : sent) {
      String topic = record.topic();
      TopicPartition source = sources.get(topic);
      if (source != null) {
        enqueue(source, record.timestamp(), record.key(), record.value(), record.headers());
      }
      TopicPartition global = globalSources.get(topic);
      if (global != null) {
        updateGlobal(global, record.timestamp(), record.key(), record.value(), record.headers());
      }
      List<ProducerRecord<byte[], byte[]>> kept = captured.get(topic);
      if (kept != null) {
        kept.add(record);
      }
    }
  }

  private void enqueue(
      TopicPartition partition, long timestamp, byte[] key, byte[] value, Headers headers) {
    task.addRecords(
        partition, Collections.singleton(record(partition, timestamp, key, value, headers)));
  }

  private void updateGlobal(
      TopicPartition partition, long timestamp, byte[] key, byte[] value, Headers headers) {
    globalTask.update(record(partition, timestamp, key, value, headers));
    globalTask.flushState();
  }

  private ConsumerRecord<byte[], byte[]> record(
      TopicPartition partition, long timestamp, byte[] key, byte[] value, Headers headers) {
    return new ConsumerRecord<>(
        partition.topic(),
        partition.partition(),
        nextOffsets.get(partition)[0]++,
        timestamp,
        TimestampType.CREATE_TIME,
        key == null ? ConsumerRecord.NULL_SIZE : key.length,
        value == null ? ConsumerRecord.NULL_SIZE : value.length,
        key,
        value,
        headers,
        Optional.empty());
  }

  /** Commits, closes the task and the global stores, and deletes the state directory. */
  @Override
  public void close() {
    try {
      if (task != null) {
        task.suspend();
        task.prepareCommit(true);
        task.postCommit(true);
        task.closeClean();
      }
      if (globalTask != null) {
        globalTask.close(false);
      }
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    } finally {
      producer.close();
      consumer.close();
      metrics.close();
      stateDirectory.clean();
    }
  }

  /** A wall clock that stands still: the replay runs in event time. */
  private static final class StoppedClock implements Time {
    private final long ms;

    StoppedClock(long ms) {
      this.ms = ms;
    }

    @Override
    public long milliseconds() {
      return ms;
    }

    @Override
    public long nanoseconds() {
      return ms * 1_000_000L;
    }

    @Override
    public void sleep(long ms) {
      throw new UnsupportedOperationException("a replay's wall clock stands still");
    }

    @Override
    public void waitObject(Object obj, Supplier<Boolean> condition, long timeoutMs) {
      throw new UnsupportedOperationException("a replay's wall clock stands still");
    }
  }
}
