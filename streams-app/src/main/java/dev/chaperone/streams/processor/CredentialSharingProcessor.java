package dev.chaperone.streams.processor;

import dev.chaperone.alerting.Finding;
import dev.chaperone.alerting.Rule;
import dev.chaperone.schema.AgentRegistration;
import dev.chaperone.schema.DetectorMode;
import dev.chaperone.streams.detect.EffectiveConfig;
import dev.chaperone.streams.metrics.ChaperoneMetrics;
import java.util.Set;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.kstream.Windowed;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.WindowStore;
import org.apache.kafka.streams.state.WindowStoreIterator;

/**
 * {@code CREDENTIAL_SHARED} and the several-agents form of {@code SHARED_PRINCIPAL}, partitioned by
 * credential: a token or principal used by more than one agent within 24 hours. Receives only the
 * first use of each (agent, credential) pair in the window, so its traffic is small.
 */
public final class CredentialSharingProcessor
    implements Processor<String, CredentialUse, String, Object> {

  private final String agentsStore;
  private final int memoryCapacity;
  private final ChaperoneMetrics metrics;
  private final DetectionContext.Factory detectionFactory;
  private ProcessorContext<String, Object> context;
  private AgentMemory agents;
  private DetectionContext detection;

  /**
   * @param agentsStore the window store of agents per credential
   * @param memoryCapacity credentials whose recent windows are held in memory in front of it
   */
  public CredentialSharingProcessor(
      String agentsStore, int memoryCapacity, DetectionContext.Factory detectionFactory) {
    this.agentsStore = agentsStore;
    this.memoryCapacity = memoryCapacity;
    this.metrics = detectionFactory.metrics();
    this.detectionFactory = detectionFactory;
  }

  @Override
  public void init(ProcessorContext<String, Object> context) {
    this.context = context;
    // made afresh at every initialisation: never carried over a rolled-back transaction
    this.agents = new AgentMemory(windows(context.getStateStore(agentsStore)), memoryCapacity);
    this.detection = detectionFactory.create(context);
    detectionFactory.pacer().init(context);
  }

  @Override
  public void process(Record<String, CredentialUse> record) {
    detectionFactory.pacer().onRecord(context);
    CredentialUse use = record.value();
    Set<String> users =
        agents.remember(
            use.credential(), use.agentId(), use.occurredAtMs(), context.currentStreamTimeMs());
    metrics.sharingLookup(agents.lastReadStore());
    if (users.size() < 2) {
      return;
    }
    AgentRegistration registration = detection.registration(use.agentId());
    EffectiveConfig effective = detection.effectiveConfig(use.agentId(), registration);
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
    detection.emit(context, record, finding, use.action(), registration, effective);
  }

  private static AgentMemory.Windows windows(WindowStore<String, String> store) {
    return new AgentMemory.Windows() {
      @Override
      public void fetch(String key, long from, long to, AgentMemory.WindowSink sink) {
        try (WindowStoreIterator<String> windows = store.fetch(key, from, to)) {
          while (windows.hasNext()) {
            KeyValue<Long, String> window = windows.next();
            sink.accept(window.key, window.value);
          }
        }
      }

      @Override
      public void fetchAll(long from, long to, AgentMemory.KeyedWindowSink sink) {
        try (KeyValueIterator<Windowed<String>, String> windows = store.fetchAll(from, to)) {
          while (windows.hasNext()) {
            KeyValue<Windowed<String>, String> window = windows.next();
            sink.accept(window.key.key(), window.key.window().start(), window.value);
          }
        }
      }

      @Override
      public void put(String key, String agents, long windowStart) {
        store.put(key, agents, windowStart);
      }
    };
  }
}
