package dev.chaperone.streams.state;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class BatchedStoreTest {

  private KeyValueStore<String, String> store;
  private final List<String> calls = new ArrayList<>();

  @BeforeEach
  void setUp() {
    KeyValueStore<String, String> inMemory =
        Stores.keyValueStoreBuilder(
                Stores.inMemoryKeyValueStore("batched"), Serdes.String(), Serdes.String())
            .withLoggingDisabled()
            .build();
    inMemory.init(new MockProcessorContext<>().getStateStoreContext(), inMemory);
    store = recording(inMemory);
  }

  @Test
  void shouldWriteACommitsEntriesAsOneBatchInOrderAndEvictionsAtOnce() {
    // Given a write-back cache of capacity 3 bound to the store through its batching
    WriteBackCacheStore<String> cache = new WriteBackCacheStore<>("cache", 3, true);
    cache.bind(store, WriteBackCacheStore.Backing::of);
    cache.put("b", "1");
    cache.put("a", "1");
    cache.put("c", "1");

    // When it writes back at a commit
    assertEquals(3, cache.writeBack());

    // Then the store got one batch, in the order the entries changed
    assertEquals(List.of("putAll [b=1, a=1, c=1]"), calls);
    assertEquals("1", store.get("a"));
    calls.clear();

    // When, between commits, an entry changed is evicted by a fourth
    cache.put("b", "2");
    cache.get("a");
    cache.get("c");
    cache.put("d", "1");

    // Then it is written at once, alone, and the next commit writes the rest as one batch
    assertEquals(List.of("put b=2"), calls);
    assertEquals(1, cache.writeBack());
    assertEquals(List.of("put b=2", "putAll [d=1]"), calls);
  }

  @Test
  void shouldReadItsOwnHeldWritesAndDeleteOnNull() {
    BatchedStore<String> batched = new BatchedStore<>(store);
    batched.put("x", "before");
    batched.hold();
    batched.put("x", "1");
    batched.put("y", "1");
    assertEquals(2, batched.held());

    // a read while holding writes what is held first
    assertEquals("1", batched.get("x"));
    assertEquals(0, batched.held());
    batched.put("x", null);
    batched.put("z", "1");
    batched.release();

    assertNull(store.get("x"), "a null value deletes");
    assertEquals("1", store.get("z"));
    assertEquals(
        List.of("put x=before", "putAll [x=1, y=1]", "get x", "putAll [x=null, z=1]"),
        calls.subList(0, 4));
    batched.put("w", "1");
    assertEquals("put w=1", calls.get(calls.size() - 1), "released: puts go straight through");
  }

  /** {@code inner}, recording puts, batches and reads as they reach it. */
  @SuppressWarnings("unchecked")
  private KeyValueStore<String, String> recording(KeyValueStore<String, String> inner) {
    return (KeyValueStore<String, String>)
        Proxy.newProxyInstance(
            KeyValueStore.class.getClassLoader(),
            new Class<?>[] {KeyValueStore.class},
            (proxy, method, args) -> {
              switch (method.getName()) {
                case "put" -> calls.add("put " + args[0] + "=" + args[1]);
                case "putAll" -> {
                  List<String> entries = new ArrayList<>();
                  for (KeyValue<String, String> entry : (List<KeyValue<String, String>>) args[0]) {
                    entries.add(entry.key + "=" + entry.value);
                  }
                  calls.add("putAll " + entries);
                }
                case "get" -> calls.add("get " + args[0]);
                default -> {}
              }
              try {
                return method.invoke(inner, args);
              } catch (InvocationTargetException e) {
                throw e.getCause();
              }
            });
  }
}
