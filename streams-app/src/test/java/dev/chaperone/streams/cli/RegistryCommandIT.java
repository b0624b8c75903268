package dev.chaperone.streams.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chaperone.streams.embedded.EmbeddedKafka;
import dev.chaperone.streams.registry.MockSchemaRegistry;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code chaperone registry} on a real broker: an invalid import produces nothing, a valid one
 * produces every agent, register/deregister change one, export reads back what import takes.
 */
class RegistryCommandIT {

  private static final String SCOPE = "registry-it";

  @TempDir Path dir;

  private record Run(int code, String out, String err) {}

  private static Run cli(List<String> args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cli = new CommandLine(new ChaperoneCli());
    cli.setCaseInsensitiveEnumValuesAllowed(true);
    cli.setOut(new PrintWriter(out, true));
    cli.setErr(new PrintWriter(err, true));
    int code = cli.execute(args.toArray(String[]::new));
    return new Run(code, out.toString(), err.toString());
  }

  @Test
  void shouldImportValidateRegisterRetireAndExportAgents() throws Exception {
    try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
      List<String> cluster =
          List.of(
              "--bootstrap-servers",
              kafka.bootstrapServers(),
              "--schema-registry-url",
              "mock://" + SCOPE);
      try (var admin = kafka.admin()) {
        admin
            .createTopics(
                List.of(
                    new org.apache.kafka.clients.admin.NewTopic(
                        "chaperone.agent-registry", 1, (short) 1)))
            .all()
            .get();
      }
      Path bad =
          Files.writeString(
              dir.resolve("bad.yaml"),
              """
              agents:
                - agentId: forum-helper
                  owner: team-support
                  tools: [forum.*, kb.*]
                - agentId: nobody-owns-me
                  owner: ""
                  tools: [repo.*]
                - agentId: no-tools
                  owner: team-x
                  tools: []
              """);
      Path good =
          Files.writeString(
              dir.resolve("agents.yaml"),
              """
              agents:
                - agentId: forum-helper
                  owner: team-support
                  role: support
                  tools: [forum.*, kb.*]
                  resourceScopes: ["forum://**"]
                  approvalRequiredFor: [PERMISSION_CHANGE]
                  maxCredentialTtlMs: 7200000
                - agentId: code-reviewer
                  owner: team-devex
                  tools: [repo.*, ci.*]
              """);

      Run rejected = cli(concat(List.of("registry", "import", "--file", bad.toString()), cluster));
      assertEquals(RegistryCommand.INVALID, rejected.code(), rejected.err());
      assertTrue(
          rejected.err().contains("entry 2 (nobody-owns-me): owner: missing"), rejected.err());
      assertTrue(rejected.err().contains("entry 3 (no-tools): tools"), rejected.err());
      Run empty = cli(concat(List.of("registry", "list"), cluster));
      assertTrue(empty.out().contains("0 agents"), "nothing produced: " + empty.out());

      Run imported = cli(concat(List.of("registry", "import", "--file", good.toString()), cluster));
      assertEquals(0, imported.code(), imported.err());
      Run registered =
          cli(
              concat(
                  List.of(
                      "registry",
                      "register",
                      "sql-analyst",
                      "--owner",
                      "team-data",
                      "--tool",
                      "sql.*",
                      "--approval-required",
                      "DATA_EXPORT",
                      "--max-credential-ttl",
                      "PT1H"),
                  cluster));
      assertEquals(0, registered.code(), registered.err());
      Run retired = cli(concat(List.of("registry", "deregister", "code-reviewer"), cluster));
      assertEquals(0, retired.code(), retired.err());

      Run list = cli(concat(List.of("registry", "list"), cluster));
      assertTrue(list.out().contains("3 agents"), list.out());
      assertTrue(list.out().matches("(?s).*code-reviewer\\s+RETIRED.*"), list.out());
      Run export = cli(concat(List.of("registry", "export"), cluster));
      assertTrue(export.out().contains("agentId: \"sql-analyst\""), export.out());
      assertTrue(export.out().contains("DATA_EXPORT"), export.out());

      // What export prints, import takes back
      Path exported = Files.writeString(dir.resolve("exported.yaml"), export.out());
      Run again =
          cli(concat(List.of("registry", "import", "--file", exported.toString()), cluster));
      assertEquals(0, again.code(), again.err());
      assertTrue(again.out().contains("imported 3 agents"), again.out());
    } finally {
      MockSchemaRegistry.dropScope(SCOPE);
    }
  }

  private static List<String> concat(List<String> a, List<String> b) {
    List<String> out = new java.util.ArrayList<>(a);
    out.addAll(b);
    return out;
  }
}
