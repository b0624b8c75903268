package dev.chaperone.streams.processor;

import dev.chaperone.alerting.Finding;
import dev.chaperone.alerting.Rule;
import dev.chaperone.schema.AgentAction;
import dev.chaperone.schema.AgentRegistration;
import dev.chaperone.schema.DetectorMode;
import dev.chaperone.streams.detect.EffectiveConfig;
import dev.chaperone.streams.metrics.ChaperoneMetrics;
import java.util.Set;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.WindowStore;

/**
 * {@code CREDENTIAL_SHARED} and the several-agents form of {@code SHARED_PRINCIPAL}, partitioned by
 * credential: a token or principal used by more than one agent within 24 hours. Receives only the
 * first use of each (agent, credential) pair in the window, so its traffic is small.
 */
public final class CredentialSharingProcessor
    implements Processor<String, CredentialUse, String, Object> {

  private final String agentsStore;
  private final ChaperoneMetrics metrics;
  private final DetectionContext.Factory detectionFactory;
  private ProcessorContext<String, Object> context;
  private WindowStore<String, String> agents;
  private DetectionContext detection;

  public CredentialSharingProcessor(String agentsStore, DetectionContext.Factory detectionFactory) {
    this.agentsStore = agentsStore;
    this.metrics = detectionFactory.metrics();
    this.detectionFactory = detectionFactory;
  }

  @Override
  public void init(ProcessorContext<String, Object> context) {
    this.context = context;
    this.agents = context.getStateStore(agentsStore);
    this.detection = detectionFactory.create(context);
  }

  @Override
  public void process(Record<String, CredentialUse> record) {
    CredentialUse use = record.value();
    AgentAction action = use.action();
    Set<String> users =
        AgentMemory.remember(
            agents, use.credential(), action.getAgentId(), action.getOccurredAt().toEpochMilli());
    if (users.size() < 2) {
      return;
    }
    AgentRegistration registration = detection.registration(action.getAgentId());
    EffectiveConfig effective = detection.effectiveConfig(action.getAgentId(), registration);
    if (effective.mode() == DetectorMode.OFF) {
      return;
    }
    Finding finding =
        use.isToken()
            ? Finding.of(
                Rule.CREDENTIAL_SHARED,
                "credential "
                    + use.credential().substring(CredentialUse.TOKEN.length())
                    + " was used by "
                    + users.size()
                    + " agents within 24 hours: "
                    + users)
            : Finding.of(
                Rule.SHARED_PRINCIPAL,
                "principal "
                    + use.credential().substring(CredentialUse.PRINCIPAL.length())
                    + " acts for "
                    + users.size()
                    + " agents within 24 hours: "
                    + users);
    detection.emit(context, record, finding, action, registration, effective);
  }
}
