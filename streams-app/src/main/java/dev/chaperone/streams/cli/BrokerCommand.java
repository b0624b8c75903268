package dev.chaperone.streams.cli;

import dev.chaperone.streams.embedded.EmbeddedKafka;
import java.io.IOException;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;

/**
 * {@code chaperone broker}: an embedded single-node KRaft broker (transactions enabled) in this
 * process, for local trials and for {@code bench}, which runs its broker in a JVM of its own.
 * Prints {@code bootstrap.servers=HOST:PORT} on a line of its own once the broker is ready, and
 * stops on SIGTERM or when its standard input closes, deleting its data.
 */
@Command(
    name = "broker",
    mixinStandardHelpOptions = true,
    description =
        "Run an embedded single-node Kafka broker until stdin closes or SIGTERM; prints"
            + " bootstrap.servers=HOST:PORT when ready.")
final class BrokerCommand implements Callable<Integer> {

  /** The line that announces the broker's address. */
  static final String READY_PREFIX = "bootstrap.servers=";

  @Override
  public Integer call() throws Exception {
    CountDownLatch stop = new CountDownLatch(1);
    try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
      Runtime.getRuntime().addShutdownHook(new Thread(stop::countDown, "chaperone-broker-stop"));
      Thread stdin =
          new Thread(
              () -> {
                try {
                  while (System.in.read() >= 0) {
                    // only its end matters
                  }
                } catch (IOException e) {
                  // closed: stop as well
                }
                stop.countDown();
              },
              "chaperone-broker-stdin");
      stdin.setDaemon(true);
      stdin.start();
      Console.info(READY_PREFIX + kafka.bootstrapServers());
      stop.await();
    }
    return 0;
  }
}
