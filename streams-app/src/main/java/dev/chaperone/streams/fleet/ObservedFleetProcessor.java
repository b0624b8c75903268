package dev.chaperone.streams.fleet;

import dev.chaperone.schema.AgentAction;
import org.apache.kafka.streams.processor.api.FixedKeyProcessor;
import org.apache.kafka.streams.processor.api.FixedKeyProcessorContext;
import org.apache.kafka.streams.processor.api.FixedKeyRecord;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Keeps the observed-fleet inventory: one {@link ObservedAgent} per agent id, updated by every
 * valid action, and passes the action on unchanged.
 */
public final class ObservedFleetProcessor
    implements FixedKeyProcessor<byte[], AgentAction, AgentAction> {

  private final String storeName;
  private FixedKeyProcessorContext<byte[], AgentAction> context;
  private KeyValueStore<String, ObservedAgent> fleet;

  public ObservedFleetProcessor(String storeName) {
    this.storeName = storeName;
  }

  @Override
  public void init(FixedKeyProcessorContext<byte[], AgentAction> context) {
    this.context = context;
    this.fleet = context.getStateStore(storeName);
  }

  @Override
  public void process(FixedKeyRecord<byte[], AgentAction> record) {
    AgentAction action = record.value();
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
}
