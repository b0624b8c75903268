package dev.chaperone.streams.state;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class AgentSightingsTest {

  private static final long T0 = 1_780_000_000_000L;
  private static final long HOUR = Duration.ofHours(1).toMillis();
  private static final long DAY = Duration.ofDays(1).toMillis();

  private KeyValueStore<String, byte[]> store;
  private WriteBackCacheStore.Backing<AgentSightings> backing;

  @BeforeEach
  void setUp() {
    store =
        Stores.keyValueStoreBuilder(
                Stores.inMemoryKeyValueStore("sightings"), Serdes.String(), Serdes.ByteArray())
            .withLoggingDisabled()
            .build();
    store.init(new MockProcessorContext<>().getStateStoreContext(), store);
    backing = AgentSightings.backing(store);
  }

  @Test
  void shouldDropAnEventIdSeenWithin24HoursEitherSideAndAcceptItAfter() {
    AgentSightings seen = new AgentSightings();

    assertTrue(seen.firstEvent("e-1", T0));

    assertFalse(seen.firstEvent("e-1", T0 + DAY - 1), "a retry within 24 h is a duplicate");
    assertFalse(seen.firstEvent("e-1", T0 - DAY + 1), "so is an earlier copy arriving late");
    assertTrue(seen.firstEvent("e-1", T0 + DAY), "24 h later the same id is a new event");
    assertTrue(seen.firstEvent("e-2", T0 + 1), "another id is not a duplicate");
  }

  @Test
  void shouldForgetIdsOlderThanTheKeptHours() {
    AgentSightings seen = new AgentSightings();
    seen.firstEvent("old", T0);

    seen.firstEvent("new", T0 + (AgentSightings.KEPT_HOURS + 1) * HOUR);

    assertEquals(1, seen.eventIds(), "the hour of `old` fell out of the kept hours");
    assertTrue(
        seen.firstEvent("older", T0 - HOUR),
        "an event older than the kept hours is accepted unchecked");
    assertEquals(1, seen.eventIds(), "and not remembered");
  }

  @Test
  void shouldHoldAtMostTheCapAndCountTheIdsItLetGoEarly() {
    AgentSightings seen = new AgentSightings();
    int flood = AgentSightings.MAX_EVENT_IDS + 1_000;

    for (int i = 0; i < flood; i++) {
      assertTrue(seen.firstEvent("flood-" + i, T0 + i)); // all within one hour
    }

    assertTrue(seen.eventIds() <= AgentSightings.MAX_EVENT_IDS, "held " + seen.eventIds());
    assertEquals(flood, seen.eventIds() + seen.evicted(), "every id is held or counted as evicted");
    assertFalse(seen.firstEvent("flood-" + (flood - 1), T0 + flood), "the newest are still held");
    assertTrue(seen.firstEvent("flood-0", T0 + flood), "the oldest were let go");
  }

  @Test
  void shouldStayWithinItsCapWhenOneHourHoldsMoreChunksThanItsKeysNumber() {
    // Given an agent flooding a million ids and more into one hour
    AgentSightings seen = new AgentSightings();
    int flood = AgentSightings.MAX_CHUNKS_PER_HOUR * AgentSightings.CHUNK + 1_000;

    long hourStart = Math.floorDiv(T0, HOUR) * HOUR;
    for (int i = 0; i < flood; i++) {
      seen.firstEvent("f" + i, hourStart + (i % 3_000_000)); // all within one hour
    }

    // Then the ids past the hour's last chunk are neither kept nor looked up later
    assertTrue(seen.eventIds() <= AgentSightings.MAX_EVENT_IDS, "held " + seen.eventIds());
    assertEquals(seen.eventIds(), seen.hashesHeld(), "every id looked up is held in a chunk");
  }

  @Test
  void shouldAnswerFirstUseOfACredentialOncePer24HoursAndCapThem() {
    AgentSightings seen = new AgentSightings();

    assertTrue(seen.firstUse("token:a", T0));
    assertFalse(seen.firstUse("token:a", T0 + HOUR));
    assertTrue(seen.firstUse("token:a", T0 + DAY));

    for (int i = 0; i < AgentSightings.MAX_CREDENTIALS; i++) {
      seen.firstUse("token:other-" + i, T0 + DAY + i);
    }
    assertTrue(seen.firstUse("token:a", T0 + DAY + HOUR), "the oldest key went past the cap");
  }

  @Test
  void shouldForgetCredentialsTwoDaysOlderThanTheNewestUse() {
    // Given a new session token every hour for 100 hours
    AgentSightings seen = new AgentSightings();
    for (int h = 0; h < 100; h++) {
      assertTrue(seen.firstUse("token:s-" + h, T0 + h * HOUR));
    }

    // Then only the last 48 hours' tokens are held, within the cap, and back from the store
    assertEquals(49, seen.credentials());
    assertFalse(seen.firstUse("token:s-99", T0 + 99 * HOUR + 23 * HOUR), "within 24 h: a repeat");
    assertTrue(seen.firstUse("token:s-40", T0 + 99 * HOUR), "forgotten: forwarded once more");
    backing.store("agent-1", seen);
    assertEquals(seen.credentials(), backing.load("agent-1").credentials());
  }

  @Test
  void shouldRestoreFromItsStoreExactlyWhatItWroteBack() {
    AgentSightings seen = new AgentSightings();
    for (int i = 0; i < 500; i++) {
      seen.firstEvent("e-" + i, T0 + i * 60_000L); // 500 minutes: 9 hours
    }
    seen.firstUse("token:a", T0);
    backing.store("agent-1", seen);

    AgentSightings restored = backing.load("agent-1");

    assertNotNull(restored);
    assertEquals(500, restored.eventIds());
    for (int i = 0; i < 500; i++) {
      assertFalse(restored.firstEvent("e-" + i, T0 + i * 60_000L + 1), "e-" + i);
    }
    assertTrue(restored.firstEvent("e-500", T0));
    assertFalse(restored.firstUse("token:a", T0 + HOUR));
    assertNull(backing.load("agent-2"), "nothing was stored for agent-2");
  }

  @Test
  void shouldDropTheOldestChunkFirstAfterALoadThatReadChunksOutOfOrder() {
    // Given 12 full chunks named after one hour: the store lists them as text, .10 and .11
    // before .2
    AgentSightings seen = new AgentSightings();
    int held = 12 * AgentSightings.CHUNK;
    for (int i = 0; i < held; i++) {
      seen.firstEvent("e-" + i, T0 + i);
    }
    backing.store("agent-1", seen);
    AgentSightings restored = backing.load("agent-1");

    // When the cap makes room for a flood, a chunk at a time, three times
    int flood = AgentSightings.MAX_EVENT_IDS - held + 3 * AgentSightings.CHUNK;
    for (int i = 0; i < flood; i++) {
      assertTrue(restored.firstEvent("flood-" + i, T0 + held + i));
    }

    // Then the chunks let go are the oldest, .0 to .2, and .10 (read before .2) is still held
    assertEquals(3 * AgentSightings.CHUNK, restored.evicted());
    long later = T0 + held + flood;
    assertFalse(restored.firstEvent("e-" + 3 * AgentSightings.CHUNK, later), ".3 is held");
    assertFalse(restored.firstEvent("e-" + 10 * AgentSightings.CHUNK, later), ".10 is held");
    // (last: a new id makes the cap let go of one more chunk)
    assertTrue(restored.firstEvent("e-" + (3 * AgentSightings.CHUNK - 1), later), ".2 let go");
  }

  @Test
  void shouldRestoreCredentialKeysOfAnyTextAsWrittenInChunksAndInTheirOwnRecord() {
    // Given keys that are not plain ASCII (modified UTF-8 differs from UTF-8 on NUL and on
    // characters outside the BMP), a lone surrogate, and a long one; agent-1 uses them with
    // events (its chunk's record), agent-2 without any (the record of credentials in no chunk)
    List<String> keys =
        List.of(
            "token:plain",
            "token:é東😀",
            "principal:a\u0000b",
            "token:\ud800?",
            "principal:" + "x".repeat(4_000));
    AgentSightings withEvents = new AgentSightings();
    AgentSightings withoutEvents = new AgentSightings();
    for (int i = 0; i < keys.size(); i++) {
      withEvents.firstEvent("e-" + i, T0 + i);
      assertTrue(withEvents.firstUse(keys.get(i), T0 + i));
      assertTrue(withoutEvents.firstUse(keys.get(i), T0 + i));
    }

    // When both are written back, twice (the second time from the forms kept), and loaded
    backing.store("agent-1", withEvents);
    backing.store("agent-2", withoutEvents);
    withEvents.firstEvent("e-late", T0 + HOUR);
    backing.store("agent-1", withEvents);

    // Then every key is known again, with its own time
    for (String agent : List.of("agent-1", "agent-2")) {
      AgentSightings loaded = backing.load(agent);
      assertEquals(keys.size(), loaded.credentials(), agent);
      for (int i = 0; i < keys.size(); i++) {
        assertFalse(loaded.firstUse(keys.get(i), T0 + i + DAY - 1), agent + " " + i);
      }
      AgentSightings again = backing.load(agent);
      for (int i = 0; i < keys.size(); i++) {
        assertTrue(again.firstUse(keys.get(i), T0 + i + DAY), agent + " " + i + " a day on");
      }
    }
  }

  @Test
  void shouldWriteOnlyTheChunkThatChangedAndDeleteExpiredOnes() {
    List<String> puts = new ArrayList<>();
    WriteBackCacheStore.Backing<AgentSightings> counted =
        AgentSightings.backing(recordingPuts(store, puts));
    AgentSightings seen = new AgentSightings();
    for (int i = 0; i < 10 * AgentSightings.CHUNK; i++) {
      seen.firstEvent("e-" + i, T0 + i);
    }
    counted.store("agent-1", seen);
    assertEquals(10, keys("agent-1").size(), "ten full chunks");
    List<String> full = keys("agent-1");

    puts.clear();
    seen.firstEvent("one-more", T0 + 1_000_000);
    counted.store("agent-1", seen);

    assertEquals(1, puts.size(), "only the new chunk is written, nothing deleted: " + puts);
    assertFalse(full.contains(puts.get(0)));
    assertEquals(11, keys("agent-1").size());

    seen.firstEvent("much-later", T0 + (AgentSightings.KEPT_HOURS + 2) * HOUR);
    counted.store("agent-1", seen);
    assertEquals(1, keys("agent-1").size(), "the expired chunks are deleted: " + keys("agent-1"));
  }

  @Test
  void shouldDeleteAChunkPerChunkOfEventsOfAnAgentActingLessThanHourly() {
    // Given an agent acting every 90 minutes for 300 events, written back after each event
    List<String> writes = new ArrayList<>();
    WriteBackCacheStore.Backing<AgentSightings> counted =
        AgentSightings.backing(recordingPuts(store, writes));
    AgentSightings seen = new AgentSightings();
    int events = 300;
    long every = 90 * 60_000L;
    for (int i = 0; i < events; i++) {
      assertTrue(seen.firstEvent("e-" + i, T0 + i * every));
      counted.store("agent-1", seen);
    }

    // Then a chunk is deleted once it is full and expired, not once per event's hour
    long deletes = writes.stream().filter(w -> w.startsWith("deleted ")).count();
    assertTrue(
        deletes <= events / 10,
        deletes + " chunks deleted for " + events + " events (hour chunks: one per event)");
    assertTrue(deletes > 0, "expired chunks are deleted");
    // And every id of the last day is still a duplicate, back from the store
    AgentSightings restored = backing.load("agent-1");
    long last = T0 + (events - 1) * every;
    for (int i = events - 1; T0 + i * every > last - DAY; i--) {
      assertFalse(restored.firstEvent("e-" + i, last), "e-" + i);
    }
    assertTrue(
        restored.eventIds() <= (AgentSightings.KEPT_HOURS + AgentSightings.CHUNK_SPAN_HOURS) / 1.5,
        restored.eventIds() + " ids held");
  }

  @Test
  void shouldKeepNoDeletionsPendingForChunksThatWereNeverStored() {
    // Given sightings that are never written back (a replay) while days of chunks expire
    List<String> puts = new ArrayList<>();
    AgentSightings seen = new AgentSightings();
    for (int hour = 0; hour < 30 * 24; hour++) {
      seen.firstEvent("e-" + hour, T0 + hour * HOUR);
    }

    // When they are finally written
    AgentSightings.backing(recordingPuts(store, puts)).store("agent-1", seen);

    // Then only the live chunks are written and nothing was waiting to be deleted
    assertTrue(puts.stream().noneMatch(p -> p.startsWith("deleted ")), puts.toString());
    assertEquals(keys("agent-1").size(), puts.size());
    assertTrue(puts.size() <= AgentSightings.KEPT_HOURS + 1, puts.size() + " chunks");
  }

  @Test
  void shouldWriteACredentialInTheChunkOfItsEventNotInARecordOfItsOwn() {
    // Given an agent with a new session token every 5 events, an event every 10 minutes for 3
    // days, written back after each event
    List<String> writes = new ArrayList<>();
    WriteBackCacheStore.Backing<AgentSightings> counted =
        AgentSightings.backing(recordingPuts(store, writes));
    AgentSightings seen = new AgentSightings();
    int events = 3 * 24 * 6;
    long every = 10 * 60_000L;
    for (int i = 0; i < events; i++) {
      long at = T0 + i * every;
      writes.clear();
      assertTrue(seen.firstEvent("e-" + i, at));
      assertEquals(i % 5 == 0, seen.firstUse("token:s-" + i / 5, at), "event " + i);
      counted.store("agent-1", seen);

      // Then each write-back writes the event's chunk, and deletes at most expired chunks
      assertEquals(1, writes.stream().filter(w -> !w.startsWith("deleted ")).count(), "" + writes);
      assertTrue(writes.stream().noneMatch(w -> w.endsWith("\u0000c")), "" + writes);
    }

    // And a load answers as the sightings in memory do
    AgentSightings restored = backing.load("agent-1");
    assertEquals(seen.credentials(), restored.credentials());
    long last = T0 + (events - 1) * every;
    for (int s = 0; s < events / 5; s++) {
      long used = T0 + s * 5 * every;
      String token = "token:s-" + s;
      if (used > last - Duration.ofHours(47).toMillis()) {
        assertFalse(restored.firstUse(token, used + HOUR), token + " is held");
      } else if (used < last - 2 * DAY - CHUNK_SPAN) {
        assertTrue(restored.firstUse(token, last), token + " went with its chunk or its age");
      }
    }
  }

  private static final long CHUNK_SPAN = AgentSightings.CHUNK_SPAN_HOURS * HOUR;

  @Test
  void shouldKeepTheLaterUseOfACredentialWrittenInTwoChunks() {
    // Given a token used in one chunk, and again a day later in another, both written back
    AgentSightings seen = new AgentSightings();
    seen.firstEvent("e-0", T0);
    seen.firstUse("token:a", T0);
    for (int i = 1; i < AgentSightings.CHUNK; i++) {
      seen.firstEvent("e-" + i, T0 + i);
    }
    backing.store("agent-1", seen);
    long later = T0 + DAY + HOUR;
    seen.firstEvent("e-later", later);
    assertTrue(seen.firstUse("token:a", later));
    backing.store("agent-1", seen);
    assertEquals(2, keys("agent-1").size(), "the earlier chunk is not rewritten");

    // When loaded
    AgentSightings restored = backing.load("agent-1");

    // Then the later use counts
    assertEquals(1, restored.credentials());
    assertFalse(restored.firstUse("token:a", later + DAY - 1), "within 24 h of the later use");
    assertTrue(backing.load("agent-1").firstUse("token:a", later + DAY), "24 h after it");
  }

  @Test
  void shouldTakeTheCredentialsRecordOfTheOlderLayoutIntoTheNewestChunk() throws Exception {
    // Given an agent stored before credentials went into chunks: a version-1 chunk, and a record
    // of its credentials
    long hour = Math.floorDiv(T0, HOUR);
    String chunkKey = "agent-1\u0000h" + hour + ".0";
    java.nio.ByteBuffer chunk = java.nio.ByteBuffer.allocate(16);
    chunk.put((byte) 1).put((byte) 2).putLong(0x5eed_5eedL).put((byte) 0);
    store.put(chunkKey, java.util.Arrays.copyOf(chunk.array(), chunk.position()));
    java.io.ByteArrayOutputStream credentials = new java.io.ByteArrayOutputStream();
    try (java.io.DataOutputStream out = new java.io.DataOutputStream(credentials)) {
      out.writeByte(1);
      out.writeShort(2);
      out.writeUTF("token:a");
      out.writeLong(T0);
      out.writeUTF("principal:svc");
      out.writeLong(T0 - HOUR);
    }
    store.put("agent-1\u0000c", credentials.toByteArray());

    // When it is loaded and written back
    AgentSightings loaded = backing.load("agent-1");
    assertEquals(1, loaded.eventIds());
    assertEquals(2, loaded.credentials());
    assertFalse(loaded.firstUse("token:a", T0 + HOUR), "the old record's uses are known");
    backing.store("agent-1", loaded);

    // Then the credentials live in the chunk, the old record is gone, and nothing was lost
    assertEquals(List.of(chunkKey), keys("agent-1"));
    AgentSightings again = backing.load("agent-1");
    assertEquals(1, again.eventIds());
    assertFalse(again.firstUse("token:a", T0 + HOUR));
    assertFalse(again.firstUse("principal:svc", T0));
    assertTrue(again.firstUse("principal:svc", T0 - HOUR + DAY));
  }

  /**
   * {@code store}, recording the key of every put, and of every delete (a put of null, or {@code
   * delete}) as "deleted KEY".
   */
  @SuppressWarnings("unchecked")
  private static KeyValueStore<String, byte[]> recordingPuts(
      KeyValueStore<String, byte[]> store, List<String> puts) {
    return (KeyValueStore<String, byte[]>)
        java.lang.reflect.Proxy.newProxyInstance(
            KeyValueStore.class.getClassLoader(),
            new Class<?>[] {KeyValueStore.class},
            (proxy, method, args) -> {
              if (method.getName().equals("put")) {
                puts.add(args[1] == null ? "deleted " + args[0] : (String) args[0]);
              } else if (method.getName().equals("delete")) {
                puts.add("deleted " + args[0]);
              }
              try {
                return method.invoke(store, args);
              } catch (java.lang.reflect.InvocationTargetException e) {
                throw e.getCause();
              }
            });
  }

  @Test
  void shouldDeleteEverythingOfOneAgentAndNothingOfAnother() {
    AgentSightings a = new AgentSightings();
    a.firstEvent("e", T0);
    a.firstUse("token:t", T0);
    AgentSightings ab = new AgentSightings();
    ab.firstEvent("e", T0);
    backing.store("a", a);
    backing.store("ab", ab);

    backing.delete("a");

    assertEquals(List.of(), keys("a"));
    assertEquals(1, keys("ab").size());
  }

  @Test
  void shouldRefuseACorruptRecordWithItsKey() {
    store.put("agent-1\u0000h494444.0", new byte[] {1, 3, 7});

    IllegalStateException e =
        assertThrows(IllegalStateException.class, () -> backing.load("agent-1"));

    assertTrue(e.getMessage().contains("agent-1/h494444.0"), e.getMessage());
  }

  private List<String> keys(String agentId) {
    List<String> keys = new ArrayList<>();
    try (KeyValueIterator<String, byte[]> it =
        store.range(agentId + '\u0000', agentId + '\u0001')) {
      it.forEachRemaining(kv -> keys.add(kv.key));
    }
    return keys;
  }
}
