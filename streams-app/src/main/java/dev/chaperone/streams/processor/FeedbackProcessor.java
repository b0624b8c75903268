package dev.chaperone.streams.processor;

import dev.chaperone.baseline.Baseline;
import dev.chaperone.schema.AgentRegistration;
import dev.chaperone.schema.Alert;
import dev.chaperone.schema.AlertFeedback;
import dev.chaperone.schema.Verdict;
import dev.chaperone.streams.detect.EffectiveConfig;
import dev.chaperone.streams.metrics.ChaperoneMetrics;
import dev.chaperone.streams.state.BaselineCacheStore;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Applies an analyst's verdict. FALSE_POSITIVE and EXPECTED_CHANGE release the agent's quarantined
 * events into its baseline (they were normal after all) and, when asked, suppress the rule for the
 * agent for a while; TRUE_POSITIVE drops the alert's quarantined events for good. The verdict is
 * written onto the open aggregate, so later updates of the alert show it, and an update carrying it
 * goes out at once.
 */
public final class FeedbackProcessor implements Processor<String, Object, String, Object> {

  private final String aggregatesStore;
  private final String suppressionsStore;
  private final DetectProcessor.Stores stores;
  private final DetectionContext.Factory detectionFactory;
  private final ChaperoneMetrics metrics;
  private ProcessorContext<String, Object> context;
  private AlertAggregationProcessor.AggregateStore aggregates;
  private KeyValueStore<String, Long> suppressions;
  private BaselineCacheStore baselines;
  private DetectionContext detection;

  public FeedbackProcessor(
      String aggregatesStore,
      String suppressionsStore,
      DetectProcessor.Stores stores,
      DetectionContext.Factory detectionFactory) {
    this.aggregatesStore = aggregatesStore;
    this.suppressionsStore = suppressionsStore;
    this.stores = stores;
    this.detectionFactory = detectionFactory;
    this.metrics = detectionFactory.metrics();
  }

  @Override
  public void init(ProcessorContext<String, Object> context) {
    this.context = context;
    this.aggregates =
        new AlertAggregationProcessor.AggregateStore(
            context.getStateStore(aggregatesStore), aggregatesStore);
    this.suppressions = context.getStateStore(suppressionsStore);
    this.baselines = context.getStateStore(stores.baselineCache());
    this.baselines.bind(
        context.getStateStore(stores.baselines()),
        context.getStateStore(stores.baselineDays()),
        context.getStateStore(stores.baselineJournal()));
    this.detection = detectionFactory.create(context);
  }

  @Override
  public void process(Record<String, Object> record) {
    detectionFactory.pacer().onRecord(context);
    if (!(record.value() instanceof AlertFeedback feedback)) {
      context.forward(record);
      return;
    }
    String agentId = feedback.getAgentId();
    metrics.feedback(feedback.getVerdict().name());
    AgentRegistration registration = detection.registration(agentId);
    EffectiveConfig effective = detection.effectiveConfig(agentId, registration);
    Baseline baseline = baselines.get(agentId, DetectProcessor.baselineConfigOf(effective));
    String key = feedback.getRuleId() == null ? null : agentId + '\u0000' + feedback.getRuleId();
    AlertAggregationProcessor.Aggregate aggregate = key == null ? null : aggregates.load(key);
    if (feedback.getVerdict() == Verdict.TRUE_POSITIVE) {
      if (aggregate != null) {
        aggregate.alert().getEventIds().forEach(baseline::discard);
      }
    } else {
      baseline.releaseAll();
      if (key != null && feedback.getSuppressForMs() != null && feedback.getSuppressForMs() > 0) {
        suppressions.put(key, feedback.getDecidedAt().toEpochMilli() + feedback.getSuppressForMs());
      }
    }
    baselines.markDirty(agentId); // released or discarded: not an event's step, snapshot it
    if (aggregate != null && aggregate.alert().getAlertId().equals(feedback.getAlertId())) {
      Alert judged =
          Alert.newBuilder(aggregate.alert())
              .setVerdict(feedback.getVerdict().name())
              .setUpdate(true)
              .build();
      aggregates.save(
          key,
          new AlertAggregationProcessor.Aggregate(
              aggregate.windowStart(), aggregate.windowMs(), judged.getCount(), judged));
      metrics.alertEmitted(judged.getRuleId(), judged.getSeverity().name(), true);
      context.forward(record.withKey(agentId).withValue((Object) judged));
    }
  }
}
