package dev.chaperone.streams.embedded;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.apache.kafka.clients.admin.Admin;
import org.junit.jupiter.api.Test;

/**
 * The broker behind {@code chaperone demo}: it starts, answers, and keeps standard output clean.
 */
class EmbeddedKafkaIT {

  @Test
  void shouldStartABrokerWithoutPrintingToStandardOutput() throws Exception {
    PrintStream out = System.out;
    ByteArrayOutputStream printed = new ByteArrayOutputStream();
    EmbeddedKafka kafka;
    System.setOut(new PrintStream(printed, true, StandardCharsets.UTF_8));
    try {
      kafka = EmbeddedKafka.start();
    } finally {
      System.setOut(out);
    }

    try (kafka;
        Admin admin = kafka.admin()) {
      assertEquals("", printed.toString(StandardCharsets.UTF_8), "printed while starting");
      assertEquals(1, admin.describeCluster().nodes().get().size());
    }
  }
}
