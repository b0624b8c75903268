package dev.chaperone.streams;

import static dev.chaperone.streams.DetectionHarness.NOW;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chaperone.alerting.Rule;
import dev.chaperone.schema.AgentRegistration;
import dev.chaperone.schema.Alert;
import dev.chaperone.schema.AlertFeedback;
import dev.chaperone.schema.DetectorConfig;
import dev.chaperone.schema.Verdict;
import dev.chaperone.streams.metrics.ChaperoneMetrics;
import dev.chaperone.streams.serde.AvroSerde;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

/**
 * Hostile input on the registry, config and feedback topics: random bytes, every truncation of a
 * valid record and bit flips of it (seeded, 11), interleaved with valid records. Nothing escapes,
 * every record that cannot be read is rejected or dead-lettered and counted, the last good registry
 * entry and config stay in force, and the valid records among the hostile ones are applied.
 */
class GlobalTopicsHostileInputTest {

  private static final int RANDOM = 1_000;
  private static final int FLIPS = 1_000;

  @Test
  void shouldRejectHostileRecordsOnEveryGlobalTopicAndApplyTheValidOnes() {
    try (DetectionHarness harness = new DetectionHarness()) {
      SplittableRandom random = new SplittableRandom(11);
      AgentRegistration good = DetectionHarness.registration("agent-a");
      byte[] registration =
          AvroSerde.forValues(AgentRegistration.class, harness.registry)
              .serializer()
              .serialize(harness.config.registryTopic(), good);
      byte[] config =
          AvroSerde.forValues(DetectorConfig.class, harness.registry)
              .serializer()
              .serialize(
                  harness.config.configTopic(),
                  DetectorConfig.newBuilder().setEventThresholdSigma(4.5).build());
      byte[] feedback =
          AvroSerde.forValues(AlertFeedback.class, harness.registry)
              .serializer()
              .serialize(
                  harness.config.feedbackTopic(),
                  AlertFeedback.newBuilder()
                      .setAlertId("alert-1")
                      .setAgentId("agent-a")
                      .setRuleId("UNDECLARED_TOOL")
                      .setVerdict(Verdict.FALSE_POSITIVE)
                      .setAnalyst("soc.kim")
                      .setDecidedAt(NOW)
                      .build());
      harness.register(good);
      harness.configure("global", DetectorConfig.newBuilder().setEventThresholdSigma(4.5).build());

      var registry =
          harness.driver.createInputTopic(
              harness.config.registryTopic(), new StringSerializer(), new ByteArraySerializer());
      var configs =
          harness.driver.createInputTopic(
              harness.config.configTopic(), new StringSerializer(), new ByteArraySerializer());
      var feedbacks =
          harness.driver.createInputTopic(
              harness.config.feedbackTopic(), new StringSerializer(), new ByteArraySerializer());

      // When every kind of hostile record goes to each topic, with a valid one now and then
      // random bytes and truncations never decode; a bit flip may still give a valid record
      long unreadable = 3L * RANDOM + registration.length + config.length + feedback.length;
      int sent = 0;
      for (byte[] value : hostile(registration, random)) {
        registry.pipeInput("agent-a", value);
        if (++sent % 500 == 0) {
          registry.pipeInput("agent-a", registration);
        }
      }
      for (byte[] value : hostile(config, random)) {
        configs.pipeInput("global", value);
      }
      for (byte[] value : hostile(feedback, random)) {
        feedbacks.pipeInput("alert-1", value);
      }

      // Then nothing escaped, and what could not be read was counted
      double rejected = harness.metrics.total(ChaperoneMetrics.REJECTED);
      double deadLettered =
          harness.metrics.total(
              ChaperoneMetrics.DEAD_LETTERS,
              ChaperoneMetrics.TAG_TOPIC,
              harness.config.feedbackTopic());
      System.out.printf(
          "hostile global input: %d records, %.0f rejected (registry, config), %.0f feedback"
              + " dead-lettered%n",
          3 * (RANDOM + FLIPS + registration.length), rejected, deadLettered);
      assertTrue(
          rejected + deadLettered >= unreadable,
          "every unreadable record counted: " + (rejected + deadLettered) + " of " + unreadable);
      assertTrue(deadLettered >= RANDOM + feedback.length - 1, "feedback: " + deadLettered);

      // And the registry and config still work: the valid records after the flood are applied
      registry.pipeInput("agent-a", registration);
      harness.configure("global", DetectorConfig.newBuilder().setEventThresholdSigma(3.3).build());
      harness.register(DetectionHarness.registration("agent-b"));
      harness.send(harness.action("agent-b", NOW).build());
      harness.send(harness.action("agent-a", NOW.plusSeconds(1)).build());
      List<Alert> alerts = harness.alerts();
      assertFalse(
          alerts.stream()
              .anyMatch(
                  a ->
                      a.getRuleId().equals(Rule.UNREGISTERED_AGENT.name())
                          && (a.getAgentId().equals("agent-a")
                              || a.getAgentId().equals("agent-b"))),
          alerts.toString());
      assertEquals(3.3, decodedThreshold(harness), 1e-9);
    }
  }

  /** The global config now in force, as the app's config store holds it. */
  private static double decodedThreshold(DetectionHarness harness) {
    org.apache.kafka.streams.state.KeyValueStore<String, byte[]> store =
        harness.driver.getKeyValueStore(ChaperoneTopology.CONFIG_STORE);
    return AvroSerde.forValues(DetectorConfig.class, harness.registry)
        .deserializer()
        .deserialize(harness.config.configTopic(), store.get("global"))
        .getEventThresholdSigma();
  }

  /** Random bytes, every proper prefix of {@code valid}, and single bit flips of it. */
  private static List<byte[]> hostile(byte[] valid, SplittableRandom random) {
    List<byte[]> out = new java.util.ArrayList<>();
    for (int i = 0; i < RANDOM; i++) {
      byte[] bytes = new byte[1 + random.nextInt(200)];
      random.nextBytes(bytes);
      bytes[0] = (byte) (bytes[0] | 0x10); // never a Confluent (0x00) or single-object (0xC3) start
      out.add(bytes);
    }
    for (int length = 0; length < valid.length; length++) {
      out.add(Arrays.copyOf(valid, length));
    }
    for (int i = 0; i < FLIPS; i++) {
      byte[] flipped = valid.clone();
      int bit = random.nextInt(flipped.length * 8);
      flipped[bit / 8] ^= (byte) (1 << (bit % 8));
      out.add(flipped);
    }
    return out;
  }
}
