package dev.chaperone.streams.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chaperone.streams.metrics.ChaperoneMetrics;
import dev.chaperone.streams.state.BoundedRocksDbConfig;
import java.time.Duration;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.Test;

class ChaperoneConfigTest {

  @Test
  void shouldRunExactlyOnceWithBoundedRocksDbMemoryByDefault() {
    Properties props = new ChaperoneConfig(Map.of()).streamsProperties();

    assertEquals(
        StreamsConfig.EXACTLY_ONCE_V2, props.get(StreamsConfig.PROCESSING_GUARANTEE_CONFIG));
    assertEquals(-1L, props.get(StreamsConfig.MAX_TASK_IDLE_MS_CONFIG));
    // Kafka Streams commits by itself at the backlog interval; the pacer asks every 50 ms
    assertEquals(1_000L, props.get(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG));
    assertEquals(
        BoundedRocksDbConfig.class, props.get(StreamsConfig.ROCKSDB_CONFIG_SETTER_CLASS_CONFIG));
  }

  @Test
  void shouldLetAnyKafkaStreamsSettingOverrideTheDefaultsButKeepItsOwnKeys() {
    Properties props =
        new ChaperoneConfig(
                Map.of(
                    StreamsConfig.ROCKSDB_CONFIG_SETTER_CLASS_CONFIG, "com.example.Mine",
                    StreamsConfig.NUM_STREAM_THREADS_CONFIG, "3",
                    ChaperoneConfig.UNREGISTERED_MAX_TRACKED_CONFIG, "7"))
            .streamsProperties();

    assertEquals("com.example.Mine", props.get(StreamsConfig.ROCKSDB_CONFIG_SETTER_CLASS_CONFIG));
    assertEquals("3", props.get(StreamsConfig.NUM_STREAM_THREADS_CONFIG));
    assertFalse(props.containsKey(ChaperoneConfig.UNREGISTERED_MAX_TRACKED_CONFIG));
  }

  @Test
  void shouldGiveTheProducersLz4BatchesOf256KiBUnlessToldOtherwise() {
    Map<String, Object> defaults = producerOf(Map.of());
    Map<String, Object> given =
        producerOf(
            Map.of(
                ProducerConfig.COMPRESSION_TYPE_CONFIG,
                "zstd",
                StreamsConfig.producerPrefix(ProducerConfig.BATCH_SIZE_CONFIG),
                "16384"));

    assertEquals("lz4", defaults.get(ProducerConfig.COMPRESSION_TYPE_CONFIG));
    assertEquals(262_144, defaults.get(ProducerConfig.BATCH_SIZE_CONFIG));
    assertEquals(67_108_864L, defaults.get(ProducerConfig.BUFFER_MEMORY_CONFIG));
    assertEquals("zstd", given.get(ProducerConfig.COMPRESSION_TYPE_CONFIG), "plain key wins");
    assertEquals("16384", given.get(ProducerConfig.BATCH_SIZE_CONFIG), "prefixed key wins");
    assertEquals(67_108_864L, given.get(ProducerConfig.BUFFER_MEMORY_CONFIG));
    Map<String, Object> consumer =
        new StreamsConfig(new ChaperoneConfig(Map.of()).streamsProperties())
            .getMainConsumerConfigs("group", "client", 0);
    assertFalse(consumer.containsKey(ProducerConfig.COMPRESSION_TYPE_CONFIG), "producers only");
  }

  /** The settings Kafka Streams gives a stream thread's producer under {@code settings}. */
  private static Map<String, Object> producerOf(Map<String, Object> settings) {
    return new StreamsConfig(new ChaperoneConfig(settings).streamsProperties())
        .getProducerConfigs("client");
  }

  @Test
  void shouldRunAStreamThreadPerCoreUpToThePartitionsUnlessToldOtherwise() {
    ChaperoneConfig sixPartitions = new ChaperoneConfig(Map.of());
    ChaperoneConfig twoPartitions =
        new ChaperoneConfig(Map.of(ChaperoneConfig.TOPICS_PARTITIONS_CONFIG, "2"));

    assertEquals(1, sixPartitions.defaultStreamThreads(1));
    assertEquals(4, sixPartitions.defaultStreamThreads(4));
    assertEquals(6, sixPartitions.defaultStreamThreads(64), "a thread per task at most");
    assertEquals(2, twoPartitions.defaultStreamThreads(8));
    assertEquals(1, twoPartitions.defaultStreamThreads(0));
    assertEquals(
        sixPartitions.defaultStreamThreads(Runtime.getRuntime().availableProcessors()),
        sixPartitions.streamsProperties().get(StreamsConfig.NUM_STREAM_THREADS_CONFIG));
  }

  @Test
  void shouldCommitEvery50MsUnderExactlyOnceUnlessToldOtherwise() {
    ChaperoneConfig defaults = new ChaperoneConfig(Map.of());
    ChaperoneConfig given =
        new ChaperoneConfig(
            Map.of(
                StreamsConfig.COMMIT_INTERVAL_MS_CONFIG,
                "200",
                ChaperoneConfig.COMMIT_BACKLOG_INTERVAL_MS_CONFIG,
                "1000"));
    ChaperoneConfig atLeastOnce =
        new ChaperoneConfig(
            Map.of(
                StreamsConfig.PROCESSING_GUARANTEE_CONFIG,
                StreamsConfig.AT_LEAST_ONCE,
                ChaperoneConfig.COMMIT_BACKLOG_INTERVAL_MS_CONFIG,
                "1000"));

    assertEquals(50, defaults.commitIntervalMs());
    // paced by default: Kafka Streams commits by itself once a second, the topology asks at 50 ms
    assertTrue(defaults.commitPaced());
    assertTrue(defaults.commitPacer(ChaperoneMetrics.inMemory()).enabled());
    assertEquals(
        ChaperoneConfig.DEFAULT_COMMIT_BACKLOG_INTERVAL_MS,
        defaults.streamsProperties().get(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG));
    assertEquals(1_000L, ChaperoneConfig.DEFAULT_COMMIT_BACKLOG_INTERVAL_MS);
    // paced: Kafka Streams commits by itself at the backlog interval, the topology asks at 200 ms
    assertEquals(200, given.commitIntervalMs());
    assertEquals(1_000L, given.streamsProperties().get(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG));
    assertTrue(given.commitPacer(ChaperoneMetrics.inMemory()).enabled());
    assertEquals(30_000, atLeastOnce.commitIntervalMs(), "Kafka Streams' own default");
    assertFalse(
        atLeastOnce.streamsProperties().containsKey(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG),
        "at-least-once keeps Kafka Streams' own default");
    assertFalse(atLeastOnce.commitPacer(ChaperoneMetrics.inMemory()).enabled());
  }

  @Test
  void shouldPollForHalfTheCommitIntervalAtMostKafkaStreamsOwn100Ms() {
    assertEquals(
        25L, new ChaperoneConfig(Map.of()).streamsProperties().get(StreamsConfig.POLL_MS_CONFIG));
    assertEquals(
        100L,
        new ChaperoneConfig(Map.of(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, "1000"))
            .streamsProperties()
            .get(StreamsConfig.POLL_MS_CONFIG));
    assertEquals(
        100L,
        new ChaperoneConfig(
                Map.of(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.AT_LEAST_ONCE))
            .streamsProperties()
            .get(StreamsConfig.POLL_MS_CONFIG),
        "30 s commits: Kafka Streams' own");
    assertEquals(1L, ChaperoneConfig.pollMs(1));
    assertEquals(100L, ChaperoneConfig.pollMs(0), "commits after every loop: Kafka Streams' own");
    assertEquals(
        "7",
        new ChaperoneConfig(Map.of(StreamsConfig.POLL_MS_CONFIG, "7"))
            .streamsProperties()
            .get(StreamsConfig.POLL_MS_CONFIG),
        "given, it is kept");
  }

  @Test
  void shouldPaceCommitsOnlyWhenTheBacklogIntervalIsTheLongerOne() {
    ChaperoneConfig off =
        new ChaperoneConfig(Map.of(ChaperoneConfig.COMMIT_BACKLOG_INTERVAL_MS_CONFIG, "0"));
    ChaperoneConfig longer =
        new ChaperoneConfig(
            Map.of(
                StreamsConfig.COMMIT_INTERVAL_MS_CONFIG,
                5_000,
                ChaperoneConfig.COMMIT_BACKLOG_INTERVAL_MS_CONFIG,
                "2000"));

    assertEquals(50L, off.streamsProperties().get(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG));
    assertFalse(off.commitPacer(ChaperoneMetrics.inMemory()).enabled());
    assertEquals(5_000, longer.streamsProperties().get(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG));
    assertFalse(longer.commitPacer(ChaperoneMetrics.inMemory()).enabled());
    ChaperoneConfig zero =
        new ChaperoneConfig(
            Map.of(
                StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, "0",
                ChaperoneConfig.COMMIT_BACKLOG_INTERVAL_MS_CONFIG, "1000"));
    assertEquals("0", zero.streamsProperties().get(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG));
    assertFalse(zero.commitPacer(ChaperoneMetrics.inMemory()).enabled());
    assertThrows(
        ConfigException.class,
        () -> new ChaperoneConfig(Map.of(ChaperoneConfig.COMMIT_BACKLOG_INTERVAL_MS_CONFIG, "-1")));
    ConfigException notANumber =
        assertThrows(
            ConfigException.class,
            () ->
                new ChaperoneConfig(Map.of(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, "soon"))
                    .streamsProperties());
    assertTrue(
        notANumber.getMessage().contains(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG),
        notANumber.getMessage());
  }

  @Test
  void shouldReadTheUnregisteredAgentLimitsAndRefuseNegativeOnes() {
    var limits =
        new ChaperoneConfig(
                Map.of(
                    ChaperoneConfig.UNREGISTERED_MAX_TRACKED_CONFIG, "7",
                    ChaperoneConfig.UNREGISTERED_ADMISSIONS_PER_HOUR_CONFIG, "2",
                    ChaperoneConfig.UNREGISTERED_TTL_MS_CONFIG, "3600000"))
            .unregisteredLimits();

    assertEquals(7, limits.maxTracked());
    assertEquals(2, limits.admissionsPerHour());
    assertEquals(Duration.ofHours(1), limits.ttl());
    ConfigException e =
        assertThrows(
            ConfigException.class,
            () ->
                new ChaperoneConfig(Map.of(ChaperoneConfig.UNREGISTERED_MAX_TRACKED_CONFIG, "-1")));
    assertTrue(
        e.getMessage().contains(ChaperoneConfig.UNREGISTERED_MAX_TRACKED_CONFIG), e.getMessage());
  }
}
