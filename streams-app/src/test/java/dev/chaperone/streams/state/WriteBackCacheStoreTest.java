package dev.chaperone.streams.state;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class WriteBackCacheStoreTest {

  /** A backing map that records every write and delete, in order. */
  private static final class Recorded implements WriteBackCacheStore.Backing<StringBuilder> {
    final Map<String, StringBuilder> values = new HashMap<>();
    final List<String> writes = new ArrayList<>();
    final List<String> deletes = new ArrayList<>();
    final List<String> loads = new ArrayList<>();

    @Override
    public StringBuilder load(String key) {
      loads.add(key);
      return values.get(key);
    }

    @Override
    public void store(String key, StringBuilder value) {
      writes.add(key + "=" + value);
      values.put(key, value);
    }

    @Override
    public void delete(String key) {
      deletes.add(key);
      values.remove(key);
    }
  }

  private static WriteBackCacheStore<StringBuilder> cache(
      int capacity, boolean writeBackAtCommit, Recorded backing) {
    WriteBackCacheStore<StringBuilder> cache =
        new WriteBackCacheStore<>("test-cache", capacity, writeBackAtCommit);
    cache.bind(backing);
    return cache;
  }

  @Test
  void shouldWriteBackOnlyWhatChangedSinceTheLastWriteBack() {
    Recorded backing = new Recorded();
    backing.values.put("c", new StringBuilder("stored"));
    WriteBackCacheStore<StringBuilder> cache = cache(10, true, backing);

    cache.put("a", new StringBuilder("1"));
    cache.put("b", new StringBuilder("1"));
    assertEquals("stored", cache.get("c").toString());
    assertEquals(2, cache.writeBack());
    assertEquals(List.of("a=1", "b=1"), backing.writes);

    assertEquals(0, cache.writeBack(), "nothing changed since");

    StringBuilder a = cache.get("a");
    a.append('2');
    cache.put("a", a); // changed in place, marked again
    cache.put("a", a); // twice in one commit: written once
    cache.flushCache();
    assertEquals(List.of("a=1", "b=1", "a=12"), backing.writes);
    assertEquals(0, cache.listedForWriteBack());
  }

  @Test
  void shouldWriteAnEvictedChangeOnceWhenEvictedAndNotAgainAtCommit() {
    Recorded backing = new Recorded();
    WriteBackCacheStore<StringBuilder> cache = cache(2, true, backing);

    cache.put("a", new StringBuilder("1"));
    cache.put("b", new StringBuilder("1"));
    cache.put("c", new StringBuilder("1")); // evicts a, the least recently used
    assertEquals(List.of("a=1"), backing.writes);
    assertEquals(2, cache.size());

    assertEquals(2, cache.writeBack());
    assertEquals(List.of("a=1", "b=1", "c=1"), backing.writes);
  }

  @Test
  void shouldEvictAnEntryNotUsedSinceTheEvictionLastPassedOverIt() {
    Recorded backing = new Recorded();
    WriteBackCacheStore<StringBuilder> cache = cache(2, true, backing);
    cache.put("a", new StringBuilder("1"));
    cache.put("b", new StringBuilder("1"));
    cache.writeBack();

    cache.get("a"); // used: a second chance
    cache.put("c", new StringBuilder("1")); // evicts b, cached after a but not used since
    assertEquals(2, cache.size());
    assertEquals(List.of(), backing.loads);
    cache.get("b");
    assertEquals(List.of("b"), backing.loads, "b was evicted");
  }

  @Test
  void shouldNeverEvictTheEntryItIsCaching() {
    Recorded backing = new Recorded();
    WriteBackCacheStore<StringBuilder> cache = cache(1, true, backing);
    cache.put("a", new StringBuilder("1"));
    cache.get("a");
    cache.put("b", new StringBuilder("1")); // a used, b new: b stays, a goes
    cache.get("b");
    assertEquals(List.of(), backing.loads);
    assertEquals(1, cache.size());
  }

  @Test
  void shouldNotWriteAForgottenOrSupersededValue() {
    Recorded backing = new Recorded();
    WriteBackCacheStore<StringBuilder> cache = cache(10, true, backing);

    cache.put("a", new StringBuilder("1"));
    cache.delete("a");
    cache.put("b", new StringBuilder("old"));
    cache.put("b", new StringBuilder("new")); // another object: it replaces the first
    assertEquals(1, cache.writeBack());
    assertEquals(List.of("b=new"), backing.writes);
    assertEquals(List.of("a"), backing.deletes);
  }

  @Test
  void shouldWriteNothingAfterTheCacheIsCleared() {
    Recorded backing = new Recorded();
    WriteBackCacheStore<StringBuilder> cache = cache(10, true, backing);

    cache.put("a", new StringBuilder("1"));
    cache.clearCache(); // an aborted transaction: what changed is thrown away
    assertEquals(0, cache.writeBack());
    assertEquals(List.of(), backing.writes);
  }

  @Test
  void shouldKeepItsBookkeepingBoundedWhenOnlyEvictionsWriteBack() {
    Recorded backing = new Recorded();
    int capacity = 4;
    WriteBackCacheStore<StringBuilder> cache = cache(capacity, false, backing);

    for (int i = 0; i < 10_000; i++) {
      cache.put("agent-" + i, new StringBuilder("v"));
      cache.flushCache(); // a commit, which writes nothing back in this mode
    }
    assertEquals(10_000 - capacity, backing.writes.size(), "every evicted change, once");
    assertTrue(
        cache.listedForWriteBack() <= 2 * capacity + 16, "listed: " + cache.listedForWriteBack());
    assertEquals(capacity, cache.writeBack());
    assertEquals(10_000, backing.writes.size());
  }
}
