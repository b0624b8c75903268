package dev.chaperone.streams.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code chaperone}: the command-line entry point. */
@Command(
    name = "chaperone",
    mixinStandardHelpOptions = true,
    versionProvider = ChaperoneCli.Version.class,
    description = "Behavioural anomaly detection for AI agents on Kafka Streams.",
    subcommands = {
      RunCommand.class,
      DemoCommand.class,
      ReplayCommand.class,
      BenchCommand.class,
      SimulateCommand.class,
      BrokerCommand.class,
      AlertsCommand.class,
      ConfigCommand.class,
      RegistryCommand.class,
      CommandLine.HelpCommand.class
    })
public final class ChaperoneCli implements Runnable {

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  public static void main(String[] args) {
    System.exit(execute(args));
  }

  /** Runs the CLI and returns its exit code, for tests. */
  public static int execute(String... args) {
    return new CommandLine(new ChaperoneCli())
        .setCaseInsensitiveEnumValuesAllowed(true)
        .execute(args);
  }

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String version = ChaperoneCli.class.getPackage().getImplementationVersion();
      return new String[] {"chaperone " + (version == null ? "dev" : version)};
    }
  }
}
