package dev.chaperone.streams.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.chaperone.schema.ActionType;
import dev.chaperone.schema.AgentRegistration;
import dev.chaperone.schema.AgentStatus;
import dev.chaperone.streams.ChaperoneTopology;
import dev.chaperone.streams.config.ChaperoneConfig;
import dev.chaperone.streams.contract.ContractViolationException;
import dev.chaperone.streams.contract.JsonContractCodec;
import dev.chaperone.streams.registry.SchemaRegistry;
import dev.chaperone.streams.serde.AvroSerde;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code chaperone registry}: the platform team's agent inventory on the compacted registry topic.
 * Every record is validated as the app validates it before it is produced; an import is all or
 * nothing.
 */
@Command(
    name = "registry",
    mixinStandardHelpOptions = true,
    description = "Register, deregister, list, import and export agents.",
    subcommands = {
      RegistryCommand.Register.class,
      RegistryCommand.Deregister.class,
      RegistryCommand.ListAgents.class,
      RegistryCommand.Import.class,
      RegistryCommand.Export.class
    })
final class RegistryCommand {

  static final int INVALID = 2;
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

  /** Plumbing shared by the subcommands. */
  abstract static class Common extends TopicCommand {

    /** The latest valid registration per agent, as the app holds them. */
    Map<String, AgentRegistration> current(ChaperoneConfig config, SchemaRegistry registry) {
      var deserializer = AvroSerde.forValues(AgentRegistration.class, registry).deserializer();
      Map<String, AgentRegistration> latest = new TreeMap<>();
      readToEnd(
          config,
          config.registryTopic(),
          r -> {
            if (r.key() == null) {
              return;
            }
            String agent = new String(r.key(), StandardCharsets.UTF_8);
            if (r.value() == null) {
              latest.remove(agent);
              return;
            }
            try {
              AgentRegistration registration = deserializer.deserialize(r.topic(), r.value());
              if (ChaperoneTopology.registrationProblems(registration).isEmpty()) {
                latest.put(agent, registration);
              }
            } catch (RuntimeException unreadable) {
              // the app rejects it too: the previous registration stays in force
            }
          });
      return latest;
    }

    void produce(
        ChaperoneConfig config, SchemaRegistry registry, List<AgentRegistration> registrations)
        throws Exception {
      var serializer = AvroSerde.forValues(AgentRegistration.class, registry).serializer();
      Map<String, byte[]> values = new java.util.LinkedHashMap<>();
      for (AgentRegistration r : registrations) {
        values.put(r.getAgentId(), serializer.serialize(config.registryTopic(), r));
      }
      produce(config, config.registryTopic(), values);
    }

    /** Problems of one registration, as the app would reject it, plus the CLI's own checks. */
    static List<String> problems(AgentRegistration r) {
      List<String> problems = new ArrayList<>(ChaperoneTopology.registrationProblems(r));
      if (r.getTools().isEmpty()) {
        problems.add("tools: declare at least one tool (globs such as repo.* allowed)");
      }
      if (r.getMaxCredentialTtlMs() != null && r.getMaxCredentialTtlMs() <= 0) {
        problems.add("maxCredentialTtlMs: must be > 0, was " + r.getMaxCredentialTtlMs());
      }
      return problems;
    }
  }

  @Command(
      name = "register",
      mixinStandardHelpOptions = true,
      description = "Register (or update) one agent. Exit code 2 when it is invalid.")
  static final class Register extends Common implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "AGENT_ID")
    String agentId;

    @Option(names = "--owner", required = true, description = "Owning team.")
    String owner;

    @Option(names = "--role", description = "Declared role.")
    String role;

    @Option(names = "--display-name", description = "Human-readable name (default: the id).")
    String displayName;

    @Option(names = "--provisioned-by", description = "Who provisioned it (default: the OS user).")
    String provisionedBy = System.getProperty("user.name", "unknown");

    @Option(
        names = "--tool",
        required = true,
        description = "A declared tool or glob, repeatable (e.g. repo.*).")
    List<String> tools;

    @Option(names = "--resource-scope", description = "A declared resource glob, repeatable.")
    List<String> resourceScopes = new ArrayList<>();

    @Option(
        names = "--approval-required",
        description = "Action types needing a human approval, repeatable: ${COMPLETION-CANDIDATES}")
    List<ActionType> approvalRequired = new ArrayList<>();

    @Option(names = "--max-credential-ttl", description = "Longest credential lifetime, e.g. PT2H.")
    Duration maxCredentialTtl;

    @Option(
        names = "--status",
        defaultValue = "ACTIVE",
        description = "${COMPLETION-CANDIDATES} (default ${DEFAULT-VALUE}).")
    AgentStatus status;

    @Override
    public Integer call() throws Exception {
      AgentRegistration r =
          AgentRegistration.newBuilder()
              .setAgentId(agentId)
              .setDisplayName(displayName == null ? agentId : displayName)
              .setOwner(owner)
              .setProvisionedBy(provisionedBy)
              .setRole(role)
              .setRegisteredAt(Instant.now())
              .setStatus(status)
              .setTools(tools)
              .setResourceScopes(resourceScopes)
              .setApprovalRequiredFor(approvalRequired)
              .setMaxCredentialTtlMs(maxCredentialTtl == null ? null : maxCredentialTtl.toMillis())
              .build();
      List<String> problems = problems(r);
      if (!problems.isEmpty()) {
        err().println("not registered: " + String.join("; ", problems));
        return INVALID;
      }
      ChaperoneConfig config = config();
      produce(config, registry(config), List.of(r));
      out().println("registered " + JsonContractCodec.write(r));
      return 0;
    }
  }

  @Command(
      name = "deregister",
      mixinStandardHelpOptions = true,
      description =
          "Retire an agent: its registration stays on record with status RETIRED, so its actions"
              + " alert as AGENT_NOT_ACTIVE.")
  static final class Deregister extends Common implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "AGENT_ID")
    String agentId;

    @Override
    public Integer call() throws Exception {
      ChaperoneConfig config = config();
      SchemaRegistry registry = registry(config);
      AgentRegistration current = current(config, registry).get(agentId);
      if (current == null) {
        err().println("agent " + agentId + " is not registered");
        return 1;
      }
      AgentRegistration retired =
          AgentRegistration.newBuilder(current).setStatus(AgentStatus.RETIRED).build();
      produce(config, registry, List.of(retired));
      out().println("retired " + agentId);
      return 0;
    }
  }

  @Command(name = "list", mixinStandardHelpOptions = true, description = "List registered agents.")
  static final class ListAgents extends Common implements Callable<Integer> {
    @Override
    public Integer call() {
      ChaperoneConfig config = config();
      Map<String, AgentRegistration> all = current(config, registry(config));
      out()
          .println(
              String.format(
                  "%-28s %-10s %-16s %-12s %s", "AGENT", "STATUS", "OWNER", "ROLE", "TOOLS"));
      for (AgentRegistration r : all.values()) {
        out()
            .println(
                String.format(
                    "%-28s %-10s %-16s %-12s %s",
                    r.getAgentId(),
                    r.getStatus(),
                    r.getOwner(),
                    r.getRole() == null ? "-" : r.getRole(),
                    String.join(",", r.getTools())));
      }
      out().println(all.size() + " agents");
      return 0;
    }
  }

  @Command(
      name = "import",
      mixinStandardHelpOptions = true,
      description = {
        "Register every agent of a YAML (or JSON) file: a list of registrations in the contract's"
            + " JSON form, or {agents: [...]}; displayName, provisionedBy, registeredAt and status"
            + " default to the id, --provisioned-by, now and ACTIVE.",
        "All or nothing: when any entry is invalid, each problem is printed and nothing is"
            + " produced (exit code 2)."
      })
  static final class Import extends Common implements Callable<Integer> {
    @Option(names = "--file", required = true, paramLabel = "FILE")
    Path file;

    @Option(
        names = "--provisioned-by",
        description = "provisionedBy of entries that do not say (default: the OS user).")
    String provisionedBy = System.getProperty("user.name", "unknown");

    @Override
    public Integer call() throws Exception {
      JsonNode root = YAML.readTree(Files.readString(file));
      JsonNode list = root.isArray() ? root : root.path("agents");
      if (!list.isArray() || list.isEmpty()) {
        err().println(file + ": expected a list of agents, or {agents: [...]}");
        return INVALID;
      }
      List<AgentRegistration> registrations = new ArrayList<>();
      List<String> problems = new ArrayList<>();
      for (int i = 0; i < list.size(); i++) {
        JsonNode entry = list.get(i);
        String label = "entry " + (i + 1) + " (" + entry.path("agentId").asText("?") + ")";
        try {
          com.fasterxml.jackson.databind.node.ObjectNode node =
              (com.fasterxml.jackson.databind.node.ObjectNode) entry.deepCopy();
          if (!node.has("registeredAt")) {
            node.put("registeredAt", Instant.now().toString());
          }
          if (!node.has("status")) {
            node.put("status", "ACTIVE");
          }
          if (!node.has("displayName") && node.hasNonNull("agentId")) {
            node.put("displayName", node.get("agentId").asText());
          }
          if (!node.has("provisionedBy")) {
            node.put("provisionedBy", provisionedBy);
          }
          AgentRegistration r =
              JsonContractCodec.read(JSON.writeValueAsString(node), AgentRegistration.class);
          List<String> own = problems(r);
          if (own.isEmpty()) {
            registrations.add(r);
          } else {
            problems.add(label + ": " + String.join("; ", own));
          }
        } catch (ContractViolationException | ClassCastException e) {
          problems.add(label + ": " + e.getMessage());
        }
      }
      if (!problems.isEmpty()) {
        err().println("nothing imported; " + problems.size() + " invalid entries:");
        problems.forEach(p -> err().println("  " + p));
        return INVALID;
      }
      ChaperoneConfig config = config();
      produce(config, registry(config), registrations);
      out().println("imported " + registrations.size() + " agents to " + config.registryTopic());
      return 0;
    }
  }

  @Command(
      name = "export",
      mixinStandardHelpOptions = true,
      description = "Print the registry as YAML, in the form import reads.")
  static final class Export extends Common implements Callable<Integer> {
    @Override
    public Integer call() throws Exception {
      ChaperoneConfig config = config();
      ArrayNode agents = JSON.createArrayNode();
      for (AgentRegistration r : current(config, registry(config)).values()) {
        agents.add(JSON.readTree(JsonContractCodec.write(r)));
      }
      out().print(YAML.writeValueAsString(JSON.createObjectNode().set("agents", agents)));
      out().flush();
      return 0;
    }
  }
}
