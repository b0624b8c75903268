package dev.chaperone.streams.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.chaperone.schema.DetectorConfig;
import dev.chaperone.streams.config.ChaperoneConfig;
import dev.chaperone.streams.contract.ContractViolationException;
import dev.chaperone.streams.contract.JsonContractCodec;
import dev.chaperone.streams.detect.EffectiveConfig;
import dev.chaperone.streams.registry.SchemaRegistry;
import dev.chaperone.streams.serde.AvroSerde;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;
import org.apache.avro.Schema;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code chaperone config}: the detector config on its compacted topic, one record per scope
 * ({@code global}, {@code owner:<team>}, {@code agent:<id>}). {@code set} merges key=value pairs
 * into the scope's current record and validates the result as the app will before producing it;
 * {@code get}, {@code list} and {@code history} read the topic.
 */
@Command(
    name = "config",
    mixinStandardHelpOptions = true,
    description = "Read and change the detector config (thresholds, warm-up, modes) live.",
    subcommands = {
      ConfigCommand.Set.class,
      ConfigCommand.Get.class,
      ConfigCommand.ListScopes.class,
      ConfigCommand.History.class
    })
final class ConfigCommand {

  static final int INVALID = 2;
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Pattern SCOPE = Pattern.compile("global|owner:[^\\s]+|agent:[^\\s]+");

  /** One record of the config topic. */
  record Entry(String scope, DetectorConfig config, long offset, Instant at) {}

  /** Options shared by the subcommands. */
  abstract static class Common extends TopicCommand {

    /** Every readable record of the config topic, oldest first. */
    List<Entry> readAll(ChaperoneConfig config, SchemaRegistry registry) {
      var deserializer = AvroSerde.forValues(DetectorConfig.class, registry).deserializer();
      List<Entry> entries = new ArrayList<>();
      readToEnd(
          config,
          config.configTopic(),
          r -> {
            if (r.key() == null || r.value() == null) {
              return;
            }
            try {
              entries.add(
                  new Entry(
                      new String(r.key(), StandardCharsets.UTF_8),
                      deserializer.deserialize(r.topic(), r.value()),
                      r.offset(),
                      Instant.ofEpochMilli(r.timestamp())));
            } catch (RuntimeException unreadable) {
              err()
                  .println(
                      "skipping unreadable record at offset "
                          + r.offset()
                          + ": "
                          + unreadable.getMessage());
            }
          });
      return entries;
    }

    /** The latest valid record per scope, as the app keeps them. */
    Map<String, Entry> current(List<Entry> all) {
      Map<String, Entry> latest = new TreeMap<>();
      for (Entry e : all) {
        if (EffectiveConfig.problems(e.config()).isEmpty()) {
          latest.put(e.scope(), e);
        }
      }
      return latest;
    }

    void print(Entry e) {
      out().println(e.scope() + " " + JsonContractCodec.write(e.config()));
    }
  }

  @Command(
      name = "set",
      mixinStandardHelpOptions = true,
      description = {
        "Merge KEY=VALUE pairs into a scope's config, validate it, produce it.",
        "Scopes: global, owner:<team>, agent:<id>. Keys are DetectorConfig fields, e.g."
            + " eventThresholdSigma=4.5 shadowThresholdSigma=3.5 warmupDays=5 mode=OBSERVE.",
        "A value of null removes the field (the wider scope's value applies again).",
        "Exit code 2 when the result is invalid: nothing is produced."
      })
  static final class Set extends Common implements Callable<Integer> {
    @Parameters(
        index = "0",
        paramLabel = "SCOPE",
        description = "global, owner:<team> or agent:<id>")
    String scope;

    @Parameters(index = "1..*", arity = "1..*", paramLabel = "KEY=VALUE")
    List<String> pairs;

    @Option(
        names = "--by",
        description = "Who makes the change, recorded as updatedBy (default: the OS user).")
    String updatedBy = System.getProperty("user.name", "unknown");

    @Override
    public Integer call() throws Exception {
      if (!SCOPE.matcher(scope).matches()) {
        err().println("scope must be global, owner:<team> or agent:<id>, was '" + scope + "'");
        return INVALID;
      }
      ChaperoneConfig config = config();
      SchemaRegistry registry = registry(config);
      Entry current = current(readAll(config, registry)).get(scope);
      ObjectNode tree =
          current == null
              ? JSON.createObjectNode()
              : (ObjectNode) JSON.readTree(JsonContractCodec.write(current.config()));
      List<String> problems = new ArrayList<>();
      for (String pair : pairs) {
        int eq = pair.indexOf('=');
        if (eq <= 0) {
          problems.add("'" + pair + "' is not KEY=VALUE");
          continue;
        }
        String key = pair.substring(0, eq);
        String value = pair.substring(eq + 1);
        Schema.Field field = DetectorConfig.getClassSchema().getField(key);
        if (field == null || key.equals("updatedBy") || key.equals("updatedAt")) {
          problems.add("unknown key '" + key + "'; keys: " + settableKeys());
          continue;
        }
        tree.set(key, parse(value));
      }
      tree.put("updatedBy", updatedBy);
      tree.put("updatedAt", Instant.now().toString());
      DetectorConfig next = null;
      if (problems.isEmpty()) {
        try {
          next = JsonContractCodec.read(JSON.writeValueAsString(tree), DetectorConfig.class);
          problems.addAll(EffectiveConfig.problems(next));
        } catch (ContractViolationException e) {
          problems.add(e.getMessage());
        }
      }
      if (!problems.isEmpty()) {
        err().println("not produced, the config would be invalid:");
        problems.forEach(p -> err().println("  " + p));
        return INVALID;
      }
      var metadata =
          produce(
              config,
              config.configTopic(),
              Map.of(
                  scope,
                  AvroSerde.forValues(DetectorConfig.class, registry)
                      .serializer()
                      .serialize(config.configTopic(), next)));
      out()
          .println(
              "produced "
                  + scope
                  + " to "
                  + metadata.topic()
                  + "-"
                  + metadata.partition()
                  + "@"
                  + metadata.offset());
      out().println(JsonContractCodec.write(next));
      return 0;
    }

    private static JsonNode parse(String value) throws Exception {
      try {
        return JSON.readTree(value);
      } catch (Exception notJson) {
        return JSON.getNodeFactory().textNode(value);
      }
    }

    private static List<String> settableKeys() {
      List<String> keys = new ArrayList<>();
      for (Schema.Field f : DetectorConfig.getClassSchema().getFields()) {
        if (!f.name().equals("updatedBy") && !f.name().equals("updatedAt")) {
          keys.add(f.name());
        }
      }
      return keys;
    }
  }

  @Command(name = "get", mixinStandardHelpOptions = true, description = "Print a scope's config.")
  static final class Get extends Common implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "SCOPE")
    String scope;

    @Override
    public Integer call() {
      ChaperoneConfig config = config();
      Entry e = current(readAll(config, registry(config))).get(scope);
      if (e == null) {
        err().println("no config for " + scope + " (the wider scope and the defaults apply)");
        return 1;
      }
      print(e);
      return 0;
    }
  }

  @Command(
      name = "list",
      mixinStandardHelpOptions = true,
      description = "Print every scope's config in force.")
  static final class ListScopes extends Common implements Callable<Integer> {
    @Override
    public Integer call() {
      ChaperoneConfig config = config();
      current(readAll(config, registry(config))).values().forEach(this::print);
      return 0;
    }
  }

  @Command(
      name = "history",
      mixinStandardHelpOptions = true,
      description =
          "Print every record still on the compacted topic, oldest first, marking those the app"
              + " rejects.")
  static final class History extends Common implements Callable<Integer> {
    @Parameters(index = "0", arity = "0..1", paramLabel = "SCOPE")
    String scope;

    @Override
    public Integer call() {
      ChaperoneConfig config = config();
      for (Entry e : readAll(config, registry(config))) {
        if (scope != null && !scope.equals(e.scope())) {
          continue;
        }
        List<String> problems = EffectiveConfig.problems(e.config());
        out()
            .println(
                String.format(
                    "%-8d %s %-24s %s%s",
                    e.offset(),
                    e.at(),
                    e.scope(),
                    JsonContractCodec.write(e.config()),
                    problems.isEmpty() ? "" : "  REJECTED: " + String.join("; ", problems)));
      }
      return 0;
    }
  }
}
