package dev.chaperone.streams.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code chaperone alerts}: the SOC's commands. */
@Command(
    name = "alerts",
    mixinStandardHelpOptions = true,
    description = "Work with Chaperone's alerts.",
    subcommands = {AlertsTailCommand.class, AlertsFeedbackCommand.class})
final class AlertsCommand implements Runnable {

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }
}
