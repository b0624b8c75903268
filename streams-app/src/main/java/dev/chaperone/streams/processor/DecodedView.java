package dev.chaperone.streams.processor;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * A read view of a global store of raw Avro records (registry, config), decoding each value once
 * and again only when its bytes change. A value that no longer decodes reads as absent (the updater
 * validates every record, restored ones included, so this guards only against a schema gone from
 * the registry since). Bounded.
 */
final class DecodedView<T> {

  private static final int MAX_CACHED = 50_000;

  private final int maxCached;
  private final KeyValueStore<String, byte[]> store;
  private final Deserializer<T> deserializer;
  private final String topic;
  private final Map<String, Cached<T>> cache = new HashMap<>();

  private record Cached<T>(byte[] bytes, T value, String version) {}

  DecodedView(KeyValueStore<String, byte[]> store, Deserializer<T> deserializer, String topic) {
    this(store, deserializer, topic, MAX_CACHED);
  }

  /** A view that keeps at most {@code maxCached} decoded values. */
  DecodedView(
      KeyValueStore<String, byte[]> store,
      Deserializer<T> deserializer,
      String topic,
      int maxCached) {
    this.maxCached = maxCached;
    this.store = store;
    this.deserializer = deserializer;
    this.topic = topic;
  }

  T get(String key) {
    Cached<T> cached = cached(key);
    return cached == null ? null : cached.value();
  }

  /** A short fingerprint of the value in force for {@code key}, for alert provenance. */
  String versionOf(String key) {
    Cached<T> cached = cached(key);
    return cached == null ? "none" : cached.version();
  }

  private Cached<T> cached(String key) {
    byte[] bytes = store.get(key);
    if (bytes == null) {
      cache.remove(key);
      return null;
    }
    Cached<T> cached = cache.get(key);
    if (cached != null && (cached.bytes() == bytes || Arrays.equals(cached.bytes(), bytes))) {
      return cached;
    }
    T value;
    try {
      value = deserializer.deserialize(topic, bytes);
    } catch (RuntimeException e) {
      return null;
    }
    BoundedMemory.makeRoom(cache, maxCached);
    Cached<T> fresh = new Cached<>(bytes, value, String.format("%08x", Arrays.hashCode(bytes)));
    cache.put(key, fresh);
    return fresh;
  }
}
