package dev.chaperone.streams.fleet;

import dev.chaperone.schema.AgentAction;
import dev.chaperone.streams.metrics.ChaperoneMetrics;
import dev.chaperone.streams.processor.DetectionContext;
import dev.chaperone.streams.state.WriteBackCacheStore;
import org.apache.kafka.streams.processor.api.FixedKeyProcessor;
import org.apache.kafka.streams.processor.api.FixedKeyProcessorContext;
import org.apache.kafka.streams.processor.api.FixedKeyRecord;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Keeps the observed-fleet inventory: one {@link ObservedAgent} per agent id, updated by every
 * valid action, and passes the action on unchanged. Entries are changed in memory and written to
 * the {@code observed-fleet} store once per commit (see {@link WriteBackCacheStore}). An agent
 * missing from the registry gets an entry only while {@link UnregisteredAgents} admits it, so a
 * flood of made-up ids cannot grow the inventory without bound.
 */
public final class ObservedFleetProcessor
    implements FixedKeyProcessor<byte[], AgentAction, AgentAction> {

  /** The stores this processor uses and the bounds on unregistered agents. */
  public record Stores(
      String fleet, String fleetCache, String unregistered, UnregisteredAgents.Limits limits) {}

  private final Stores stores;
  private final ChaperoneMetrics metrics;
  private final DetectionContext.Factory detectionFactory;
  private FixedKeyProcessorContext<byte[], AgentAction> context;
  private WriteBackCacheStore<ObservedAgent> fleet;
  private DetectionContext detection;
  private UnregisteredAgents unregistered;

  /** The registry is read through {@code detection}'s view of it. */
  public ObservedFleetProcessor(Stores stores, DetectionContext.Factory detection) {
    this.stores = stores;
    this.metrics = detection.metrics();
    this.detectionFactory = detection;
  }

  @Override
  public void init(FixedKeyProcessorContext<byte[], AgentAction> context) {
    this.context = context;
    this.fleet =
        bindCache(
            context.getStateStore(stores.fleetCache()), context.getStateStore(stores.fleet()));
    this.detection = detectionFactory.create(context);
    this.unregistered =
        new UnregisteredAgents(context.getStateStore(stores.unregistered()), stores.limits());
  }

  @Override
  public void process(FixedKeyRecord<byte[], AgentAction> record) {
    AgentAction action = record.value();
    if (detection.registration(action.getAgentId()) == null) {
      // by the action's own time, not the task's stream time: stream time also moves with the
      // task's other inputs, and admission must follow this partition's order alone so that a
      // replay, a restart or a rebalance admits the same agents
      UnregisteredAgents.Admission admission =
          unregistered.admit(action.getAgentId(), record.timestamp());
      metrics.unregistered(admission);
      if (!admission.tracked()) {
        context.forward(record);
        return;
      }
    }
    long occurredAt = action.getOccurredAt().toEpochMilli();
    ObservedAgent agent = fleet.get(action.getAgentId());
    if (agent == null) {
      agent = ObservedAgent.firstSeen(occurredAt);
    }
    agent.accept(
        occurredAt,
        action.getTool(),
        action.getCredential() == null ? null : action.getCredential().getTokenId());
    fleet.put(action.getAgentId(), agent);
    context.forward(record);
  }

  /** Connects the inventory's in-memory cache to its store; returns the cache. */
  public static WriteBackCacheStore<ObservedAgent> bindCache(
      WriteBackCacheStore<ObservedAgent> cache, KeyValueStore<String, ObservedAgent> store) {
    cache.bind(store, WriteBackCacheStore.Backing::of);
    return cache;
  }
}
