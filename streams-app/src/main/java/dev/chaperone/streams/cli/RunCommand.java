package dev.chaperone.streams.cli;

import dev.chaperone.streams.ChaperoneApp;
import dev.chaperone.streams.config.ChaperoneConfig;
import dev.chaperone.streams.http.OpsServer;
import dev.chaperone.streams.metrics.ChaperoneMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.apache.kafka.streams.KafkaStreams;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code chaperone run}: runs the detector against a cluster until SIGTERM. */
@Command(
    name = "run",
    mixinStandardHelpOptions = true,
    description = {
      "Connect to a Kafka cluster, create missing topics, and run the detector until stopped (SIGTERM or Ctrl-C).",
      "Any Kafka client or Kafka Streams setting (security.protocol, sasl.*, ssl.*, num.stream.threads, …) passes through from --config or --set."
    })
final class RunCommand implements Callable<Integer> {

  @Mixin ClusterOptions cluster;

  @Override
  public Integer call() throws InterruptedException, java.io.IOException {
    ChaperoneConfig config = new ChaperoneConfig(cluster.settings());
    ChaperoneApp app =
        new ChaperoneApp(
            config, new ChaperoneMetrics(new PrometheusMeterRegistry(PrometheusConfig.DEFAULT)));
    CountDownLatch stopped = new CountDownLatch(1);
    java.util.concurrent.atomic.AtomicReference<OpsServer> ops =
        new java.util.concurrent.atomic.AtomicReference<>();
    Thread hook =
        new Thread(
            () -> {
              if (ops.get() != null) {
                ops.get().close();
              }
              app.close(Duration.ofSeconds(30));
              stopped.countDown();
            },
            "chaperone-shutdown");
    Runtime.getRuntime().addShutdownHook(hook);
    app.start();
    if (config.httpEnabled()) {
      ops.set(OpsServer.start(app));
      Console.info(
          "HTTP interface on "
              + ops.get().url()
              + " (/healthz /readyz /metrics /agents /agents/{id} /agents/{id}/baseline /config)");
    }
    Console.info(
        "Chaperone is running against "
            + config.bootstrapServers()
            + " (application.id "
            + config.applicationId()
            + "); stop with Ctrl-C.");
    while (!stopped.await(1, java.util.concurrent.TimeUnit.SECONDS)) {
      KafkaStreams.State state;
      try {
        state = app.streams().state();
      } catch (IllegalStateException closing) {
        continue;
      }
      if (state == KafkaStreams.State.ERROR || state == KafkaStreams.State.NOT_RUNNING) {
        Console.error("Kafka Streams stopped in state " + state + "; see the log above.");
        Runtime.getRuntime().removeShutdownHook(hook);
        if (ops.get() != null) {
          ops.get().close();
        }
        app.close(Duration.ofSeconds(10));
        return 1;
      }
    }
    return 0;
  }
}
