package dev.chaperone.streams.processor;

import java.util.concurrent.atomic.AtomicLong;

/**
 * How many times a global store has been written to, so that the stream threads reading it can
 * tell, for the cost of one volatile read, that nothing changed since they last resolved something
 * from it. The store's updater advances it after each write; a reader takes the version before it
 * reads the store, so a write it may have missed leaves it holding an older version, never a newer
 * one. Restoring a global store goes through its updater too ({@code StreamsBuilder.addGlobalStore}
 * reprocesses on restore in Kafka Streams 4.x), at start-up and when the global thread rebuilds it.
 */
public final class StoreVersion {

  private final AtomicLong writes = new AtomicLong();

  /** The version now. */
  long current() {
    return writes.get();
  }

  /** Marks a write to the store, once it is done. */
  void advance() {
    writes.incrementAndGet();
  }
}
