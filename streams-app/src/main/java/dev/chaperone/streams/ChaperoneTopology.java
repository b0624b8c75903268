package dev.chaperone.streams;

import dev.chaperone.schema.AgentAction;
import dev.chaperone.schema.DeadLetter;
import dev.chaperone.streams.config.ChaperoneConfig;
import dev.chaperone.streams.contract.ActionContract;
import dev.chaperone.streams.fleet.ObservedAgentSerde;
import dev.chaperone.streams.fleet.ObservedFleetProcessor;
import dev.chaperone.streams.metrics.ChaperoneMetrics;
import dev.chaperone.streams.processor.DecodeActionProcessor;
import dev.chaperone.streams.processor.DecodeResult;
import dev.chaperone.streams.registry.SchemaRegistries;
import dev.chaperone.streams.registry.SchemaRegistry;
import dev.chaperone.streams.serde.AvroSerde;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Branched;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.Repartitioned;
import org.apache.kafka.streams.state.Stores;

/**
 * Builds Chaperone's topology. A plain function of the config so that {@code main}, the demo and
 * the tests run the same graph.
 *
 * <pre>
 * agent-actions ─ decode-actions ─┬─ dead letter ─────────────────────────────── dead-letters
 *                                 └─ valid ─┬─ keyed by agentId ──────────┬─ observe-fleet ─ …
 *                                           └─ key-by-agent ─ actions-by-agent (repartition)
 * </pre>
 *
 * Records whose key already is the agent id skip the repartition; only mis-keyed ones pay for it.
 * Every stateful step and store is named so that changelog and repartition topics stay stable.
 */
public final class ChaperoneTopology {

  public static final String ACTIONS_SOURCE = "actions-source";
  public static final String DECODE_ACTIONS = "decode-actions";
  public static final String DEAD_LETTERS_SINK = "dead-letters-sink";
  public static final String ACTIONS_BY_AGENT = "actions-by-agent";
  public static final String OBSERVE_FLEET = "observe-fleet";
  public static final String OBSERVED_FLEET_STORE = "observed-fleet";

  private ChaperoneTopology() {}

  /** The topology with metrics kept in memory. */
  public static Topology build(ChaperoneConfig config) {
    return build(config, ChaperoneMetrics.inMemory());
  }

  /** The topology, counting into {@code metrics}. */
  public static Topology build(ChaperoneConfig config, ChaperoneMetrics metrics) {
    SchemaRegistry registry =
        SchemaRegistries.forUrl(
            config.schemaRegistryUrl(),
            config.schemaRegistryBasicAuth(),
            config.schemaRegistryBearerToken(),
            config.schemaRegistryTimeout());
    ActionContract contract = new ActionContract(config.futureToleranceMs());
    StreamsBuilder builder = new StreamsBuilder();

    KStream<byte[], DecodeResult> decoded =
        builder.stream(
                config.actionsTopic(),
                Consumed.with(Serdes.ByteArray(), Serdes.ByteArray()).withName(ACTIONS_SOURCE))
            .processValues(
                () ->
                    new DecodeActionProcessor(
                        AvroSerde.forValues(AgentAction.class, registry).deserializer(),
                        contract,
                        metrics),
                Named.as(DECODE_ACTIONS));

    Map<String, KStream<byte[], DecodeResult>> outcome =
        decoded
            .split(Named.as("decode-"))
            .branch((key, result) -> !result.isValid(), Branched.as("dead-letter"))
            .defaultBranch(Branched.as("valid"));

    outcome
        .get("decode-dead-letter")
        .mapValues(DecodeResult::deadLetter, Named.as("dead-letter-unwrap"))
        .to(
            config.deadLettersTopic(),
            Produced.with(Serdes.ByteArray(), AvroSerde.forValues(DeadLetter.class, registry))
                .withName(DEAD_LETTERS_SINK));

    KStream<byte[], AgentAction> byAgent =
        keyByAgent(
            outcome.get("decode-valid").mapValues(DecodeResult::action, Named.as("valid-unwrap")));

    builder.addStateStore(
        Stores.keyValueStoreBuilder(
            Stores.persistentKeyValueStore(OBSERVED_FLEET_STORE),
            Serdes.String(),
            new ObservedAgentSerde()));
    byAgent.processValues(
        () -> new ObservedFleetProcessor(OBSERVED_FLEET_STORE),
        Named.as(OBSERVE_FLEET),
        OBSERVED_FLEET_STORE);

    return builder.build();
  }

  /**
   * Routes every action to the partition of its agent id. Keys are kept as the UTF-8 bytes of the
   * agent id, which the default partitioner places exactly where a String key would go.
   */
  private static KStream<byte[], AgentAction> keyByAgent(KStream<byte[], AgentAction> valid) {
    Map<String, KStream<byte[], AgentAction>> routes =
        valid
            .split(Named.as("keyed-"))
            .branch((key, action) -> isAgentKey(key, action), Branched.as("by-agent"))
            .defaultBranch(Branched.as("other"));
    KStream<byte[], AgentAction> rekeyed =
        routes
            .get("keyed-other")
            .selectKey((key, action) -> agentKey(action), Named.as("key-by-agent"))
            .repartition(
                Repartitioned.<byte[], AgentAction>as(ACTIONS_BY_AGENT)
                    .withKeySerde(Serdes.ByteArray())
                    .withValueSerde(AvroSerde.forValues(AgentAction.class, null)));
    return routes.get("keyed-by-agent").merge(rekeyed, Named.as("actions-merged"));
  }

  private static boolean isAgentKey(byte[] key, AgentAction action) {
    return key != null && Arrays.equals(key, agentKey(action));
  }

  static byte[] agentKey(AgentAction action) {
    return action.getAgentId().getBytes(StandardCharsets.UTF_8);
  }
}
