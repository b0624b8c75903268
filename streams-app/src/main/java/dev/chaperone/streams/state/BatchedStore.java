package dev.chaperone.streams.state;

import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.StateStore;
import org.apache.kafka.streams.processor.StateStoreContext;
import org.apache.kafka.streams.query.Position;
import org.apache.kafka.streams.query.PositionBound;
import org.apache.kafka.streams.query.Query;
import org.apache.kafka.streams.query.QueryConfig;
import org.apache.kafka.streams.query.QueryResult;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * A store whose puts, while a write-back {@link #hold holds} them, are written together with one
 * {@code putAll} when it {@link #release releases} them: one RocksDB write batch (one native call,
 * one pass through RocksDB's write path) and one metered call per store and commit, instead of one
 * per record. The changelog gets the same records in the same order.
 *
 * <p>Everything else goes straight to the store, after any held puts are written, so the store
 * always reads its own writes. A null value deletes, as {@link KeyValueStore#put} does.
 */
final class BatchedStore<V> implements KeyValueStore<String, V> {

  private final KeyValueStore<String, V> store;
  private final List<KeyValue<String, V>> held = new ArrayList<>();
  private boolean holding;

  BatchedStore(KeyValueStore<String, V> store) {
    this.store = store;
  }

  /** From now on puts are held, until {@link #release}. */
  void hold() {
    holding = true;
  }

  /** Writes the held puts, in order, and lets further puts through. */
  void release() {
    holding = false;
    write();
  }

  /** Puts held and not written yet. */
  int held() {
    return held.size();
  }

  private void write() {
    if (held.isEmpty()) {
      return;
    }
    try {
      store.putAll(held);
    } finally {
      held.clear();
    }
  }

  @Override
  public void put(String key, V value) {
    if (holding) {
      held.add(KeyValue.pair(key, value));
    } else {
      store.put(key, value);
    }
  }

  @Override
  public V putIfAbsent(String key, V value) {
    write();
    return store.putIfAbsent(key, value);
  }

  @Override
  public void putAll(List<KeyValue<String, V>> entries) {
    write();
    store.putAll(entries);
  }

  @Override
  public V delete(String key) {
    write();
    return store.delete(key);
  }

  @Override
  public V get(String key) {
    write();
    return store.get(key);
  }

  @Override
  public KeyValueIterator<String, V> range(String from, String to) {
    write();
    return store.range(from, to);
  }

  @Override
  public KeyValueIterator<String, V> reverseRange(String from, String to) {
    write();
    return store.reverseRange(from, to);
  }

  @Override
  public KeyValueIterator<String, V> all() {
    write();
    return store.all();
  }

  @Override
  public KeyValueIterator<String, V> reverseAll() {
    write();
    return store.reverseAll();
  }

  @Override
  public <PS extends Serializer<P>, P> KeyValueIterator<String, V> prefixScan(
      P prefix, PS prefixKeySerializer) {
    write();
    return store.prefixScan(prefix, prefixKeySerializer);
  }

  @Override
  public long approximateNumEntries() {
    write();
    return store.approximateNumEntries();
  }

  @Override
  public String name() {
    return store.name();
  }

  @Override
  public void init(StateStoreContext context, StateStore root) {
    store.init(context, root);
  }

  @Override
  @SuppressWarnings("deprecation")
  public void flush() {
    write();
    store.flush();
  }

  @Override
  public void close() {
    held.clear();
    store.close();
  }

  @Override
  public boolean persistent() {
    return store.persistent();
  }

  @Override
  public boolean isOpen() {
    return store.isOpen();
  }

  @Override
  public <R> QueryResult<R> query(Query<R> query, PositionBound bound, QueryConfig config) {
    write();
    return store.query(query, bound, config);
  }

  @Override
  public Position getPosition() {
    return store.getPosition();
  }
}
