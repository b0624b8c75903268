package dev.chaperone.streams.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine;

class ChaperoneCliTest {

  @ParameterizedTest
  @ValueSource(strings = {"run", "demo", "alerts"})
  void shouldPrintHelpForEveryCommand(String command) {
    StringWriter out = new StringWriter();
    CommandLine cli = new CommandLine(new ChaperoneCli());
    cli.setOut(new PrintWriter(out));

    int code = cli.execute(command, "--help");

    assertEquals(0, code);
    assertTrue(out.toString().contains("Usage: chaperone " + command), out.toString());
  }

  @Test
  void shouldRejectAnInvalidSettingWithAClearError() {
    StringWriter err = new StringWriter();
    CommandLine cli = new CommandLine(new ChaperoneCli());
    cli.setErr(new PrintWriter(err));
    cli.setExecutionExceptionHandler(
        (e, line, parsed) -> {
          line.getErr().println(e.getMessage());
          return 2;
        });

    int code =
        cli.execute(
            "run", "--bootstrap-servers", "127.0.0.1:1", "--set", "chaperone.topics.partitions=0");

    assertEquals(2, code);
    assertTrue(err.toString().contains("chaperone.topics.partitions"), err.toString());
  }
}
