package dev.chaperone.streams.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chaperone.streams.state.BoundedRocksDbConfig;
import java.time.Duration;
import java.util.Map;
import java.util.Properties;
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
    assertEquals(50L, props.get(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG));
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
  void shouldCommitEvery50MsUnderExactlyOnceUnlessToldOtherwise() {
    Properties given =
        new ChaperoneConfig(Map.of(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, "200"))
            .streamsProperties();
    Properties atLeastOnce =
        new ChaperoneConfig(
                Map.of(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.AT_LEAST_ONCE))
            .streamsProperties();

    assertEquals("200", given.get(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG));
    assertFalse(
        atLeastOnce.containsKey(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG),
        "at-least-once keeps Kafka Streams' own default");
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
