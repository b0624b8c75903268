package dev.chaperone.streams.processor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.junit.jupiter.api.Test;

/** {@link DecodedView} past its bound, and the bound of every processor memory. */
class DecodedViewTest {

  @Test
  void shouldKeepMostOfWhatItDecodedWhenMoreKeysComeRoundThanItHolds() {
    // Given a view holding 1,000 decoded values over a store of 1,500 keys
    MockProcessorContext<Void, Void> context = new MockProcessorContext<>();
    KeyValueStore<String, byte[]> store =
        Stores.keyValueStoreBuilder(
                Stores.inMemoryKeyValueStore("registry"), Serdes.String(), Serdes.ByteArray())
            .withLoggingDisabled()
            .build();
    store.init(context.getStateStoreContext(), store);
    for (int i = 0; i < 1_500; i++) {
      store.put("agent-" + i, ("registration of agent-" + i).getBytes(StandardCharsets.UTF_8));
    }
    AtomicInteger decoded = new AtomicInteger();
    Deserializer<String> deserializer =
        (topic, bytes) -> {
          decoded.incrementAndGet();
          return new String(bytes, StandardCharsets.UTF_8);
        };
    DecodedView<String> view = new DecodedView<>(store, deserializer, "registry", 1_000);

    // When the keys come round in turn, ten times
    for (int round = 0; round < 10; round++) {
      for (int i = 0; i < 1_500; i++) {
        assertEquals("registration of agent-" + i, view.get("agent-" + i));
      }
    }

    // Then a good share of the lookups after the first round are answered without decoding
    // (starting over when full decoded all 13,500 again), and every answer was right (above)
    int again = decoded.get() - 1_500;
    assertTrue(again < 13_500 * 0.8, again + " decodes after the first round");
  }

  @Test
  void shouldNeverHoldMoreThanItsBoundAndForgetOneInEight() {
    Map<Integer, Integer> memory = new HashMap<>();
    for (int i = 0; i < 10_000; i++) {
      BoundedMemory.makeRoom(memory, 800);
      memory.put(i, i);
      assertTrue(memory.size() <= 800, "size " + memory.size());
    }
    BoundedMemory.makeRoom(memory, 800);
    assertEquals(800 - 800 / BoundedMemory.FORGET_ONE_IN, memory.size());
  }
}
