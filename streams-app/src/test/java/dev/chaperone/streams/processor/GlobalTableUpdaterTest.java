package dev.chaperone.streams.processor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.chaperone.streams.metrics.ChaperoneMetrics;
import dev.chaperone.streams.registry.SchemaRegistryException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@link GlobalTableUpdater} on its own: what it keeps, rejects and refuses to decide. Its values
 * here are strings; the deserializer fails as told.
 */
class GlobalTableUpdaterTest {

  private final AtomicReference<RuntimeException> failure = new AtomicReference<>();
  private final ChaperoneMetrics metrics = ChaperoneMetrics.inMemory();
  private final RejectionLog rejections = new RejectionLog();
  private final StoreVersion version = new StoreVersion();
  private KeyValueStore<String, byte[]> store;
  private GlobalTableUpdater<String> updater;

  @BeforeEach
  void setUp() {
    MockProcessorContext<Void, Void> context = new MockProcessorContext<>();
    store =
        Stores.keyValueStoreBuilder(
                Stores.inMemoryKeyValueStore("global"), Serdes.String(), Serdes.ByteArray())
            .withLoggingDisabled()
            .build();
    store.init(context.getStateStoreContext(), store);
    context.addStateStore(store);
    Deserializer<String> deserializer =
        (topic, bytes) -> {
          RuntimeException e = failure.get();
          if (e != null) {
            throw e;
          }
          return new String(bytes, StandardCharsets.UTF_8);
        };
    updater =
        new GlobalTableUpdater<>(
            "global",
            deserializer,
            value -> value.isBlank() ? List.of("blank") : List.of(),
            metrics,
            rejections,
            version);
    updater.init(context);
  }

  @Test
  void shouldKeepAValidRecordAndRejectAnInvalidOneKeepingTheLastGoodValue() {
    updater.process(record("a", "first"));
    updater.process(record("a", " "));
    failure.set(new SerializationException("unknown schema id: 7"));
    updater.process(record("a", "third"));

    assertArrayEquals(bytes("first"), store.get("a"));
    assertEquals(2.0, metrics.total(ChaperoneMetrics.REJECTED));
    assertEquals(1, version.current(), "one write");
  }

  @Test
  void shouldFailRatherThanRejectWhenTheSchemaRegistryCannotBeReached() {
    updater.process(record("a", "first"));
    SchemaRegistryException outage =
        new SchemaRegistryException(-1, "schema registry unreachable: connection refused");
    failure.set(outage);

    // a good record whose schema cannot be fetched is not the record's fault: nothing rejected,
    // the update fails (and with it the global thread, to be read again after a restart)
    assertSame(
        outage,
        assertThrows(SchemaRegistryException.class, () -> updater.process(record("a", "second"))));
    assertArrayEquals(bytes("first"), store.get("a"));
    assertEquals(0.0, metrics.total(ChaperoneMetrics.REJECTED));
  }

  private static Record<String, byte[]> record(String key, String value) {
    return new Record<>(key, bytes(value), 0L);
  }

  private static byte[] bytes(String value) {
    return value.getBytes(StandardCharsets.UTF_8);
  }
}
