package dev.chaperone.streams.cli;

import java.io.PrintStream;

/** The CLI's printing layer: the one place that writes to the terminal. */
final class Console {

  private static final PrintStream OUT = System.out;
  private static final PrintStream ERR = System.err;

  private Console() {}

  static void info(String line) {
    OUT.println(line);
    OUT.flush();
  }

  static void error(String line) {
    ERR.println(line);
    ERR.flush();
  }
}
