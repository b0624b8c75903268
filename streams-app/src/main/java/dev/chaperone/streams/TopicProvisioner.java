package dev.chaperone.streams;

import dev.chaperone.streams.config.ChaperoneConfig;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.TopicExistsException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creates Chaperone's topics when they are missing, with the cleanup policy each needs (registry,
 * config and feedback compacted; the rest deleted after their retention). Idempotent: existing
 * topics are left exactly as they are, and a topic created concurrently by another instance is
 * fine.
 */
public final class TopicProvisioner {

  private static final Logger LOG = LoggerFactory.getLogger(TopicProvisioner.class);

  private TopicProvisioner() {}

  /** The topics Chaperone needs, with their topic-level configs, by name. */
  public static Map<String, Map<String, String>> requiredTopics(ChaperoneConfig config) {
    Map<String, String> compact =
        Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT);
    Map<String, Map<String, String>> topics = new LinkedHashMap<>();
    topics.put(config.actionsTopic(), deleteAfter(Duration.ofDays(7)));
    topics.put(config.registryTopic(), compact);
    topics.put(config.configTopic(), compact);
    topics.put(config.alertsTopic(), deleteAfter(Duration.ofDays(30)));
    topics.put(config.violationsTopic(), deleteAfter(Duration.ofDays(30)));
    topics.put(config.deadLettersTopic(), deleteAfter(Duration.ofDays(14)));
    topics.put(config.feedbackTopic(), compact);
    if (config.renderOcsf()) {
      topics.put(config.ocsfTopic(), deleteAfter(Duration.ofDays(30)));
    }
    if (config.scoresEnabled()) {
      topics.put(config.scoresTopic(), deleteAfter(Duration.ofDays(7)));
    }
    if (config.renderEcs()) {
      topics.put(config.ecsTopic(), deleteAfter(Duration.ofDays(30)));
    }
    return topics;
  }

  /** Creates every required topic that does not exist yet; returns the names it created. */
  public static List<String> ensureTopics(Admin admin, ChaperoneConfig config) {
    try {
      Set<String> existing = admin.listTopics().names().get();
      List<NewTopic> missing = new ArrayList<>();
      Optional<Short> replication =
          config.topicReplicationFactor() < 0
              ? Optional.empty()
              : Optional.of(config.topicReplicationFactor());
      requiredTopics(config)
          .forEach(
              (name, configs) -> {
                if (!existing.contains(name)) {
                  missing.add(
                      new NewTopic(name, Optional.of(config.topicPartitions()), replication)
                          .configs(configs));
                }
              });
      List<String> created = new ArrayList<>();
      for (var entry : admin.createTopics(missing).values().entrySet()) {
        try {
          entry.getValue().get();
          created.add(entry.getKey());
        } catch (ExecutionException e) {
          if (!(e.getCause() instanceof TopicExistsException)) {
            throw e;
          }
        }
      }
      if (!created.isEmpty()) {
        LOG.info("created topics {}", created);
      }
      return created;
    } catch (ExecutionException e) {
      throw new IllegalStateException(
          "cannot create Chaperone's topics: " + e.getCause().getMessage(), e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while creating topics", e);
    }
  }

  private static Map<String, String> deleteAfter(Duration retention) {
    return Map.of(
        TopicConfig.CLEANUP_POLICY_CONFIG,
        TopicConfig.CLEANUP_POLICY_DELETE,
        TopicConfig.RETENTION_MS_CONFIG,
        Long.toString(retention.toMillis()));
  }
}
