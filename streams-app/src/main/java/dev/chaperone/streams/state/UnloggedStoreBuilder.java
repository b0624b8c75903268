package dev.chaperone.streams.state;

import java.util.Map;
import java.util.function.Supplier;
import org.apache.kafka.streams.processor.StateStore;
import org.apache.kafka.streams.state.StoreBuilder;

/**
 * Builds an in-memory cache store that has no changelog of its own: the logged store behind it
 * does. Caching switches are ignored (the store is a cache); asking for logging is an error.
 */
final class UnloggedStoreBuilder<T extends StateStore> implements StoreBuilder<T> {

  private final String name;
  private final Supplier<T> factory;

  UnloggedStoreBuilder(String name, Supplier<T> factory) {
    this.name = name;
    this.factory = factory;
  }

  @Override
  public StoreBuilder<T> withCachingEnabled() {
    return this;
  }

  @Override
  public StoreBuilder<T> withCachingDisabled() {
    return this;
  }

  @Override
  public StoreBuilder<T> withLoggingEnabled(Map<String, String> config) {
    throw new UnsupportedOperationException(
        "store " + name + " is a cache and not logged: the store behind it is");
  }

  @Override
  public StoreBuilder<T> withLoggingDisabled() {
    return this;
  }

  @Override
  public T build() {
    return factory.get();
  }

  @Override
  public Map<String, String> logConfig() {
    return Map.of();
  }

  @Override
  public boolean loggingEnabled() {
    return false;
  }

  @Override
  public String name() {
    return name;
  }
}
