package dev.chaperone.streams.state;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class LongLongMapTest {

  @Test
  void shouldAgreeWithAHashMapUnderRandomPutsAndRemoves() {
    // seed 42; keys from a small range so that probes collide and removals shift entries
    SplittableRandom random = new SplittableRandom(42);
    LongLongMap map = new LongLongMap();
    Map<Long, Long> reference = new HashMap<>();

    for (int i = 0; i < 200_000; i++) {
      long key = random.nextLong(5_000) - 2_500;
      if (random.nextInt(3) == 0) {
        map.remove(key);
        reference.remove(key);
      } else {
        long value = random.nextLong();
        if (value == LongLongMap.MISSING) {
          continue;
        }
        map.put(key, value);
        reference.put(key, value);
      }
      if (i % 10_000 == 0) {
        for (long k = -2_500; k < 2_500; k++) {
          assertEquals(reference.getOrDefault(k, LongLongMap.MISSING), map.get(k), "key " + k);
        }
      }
    }
    assertEquals(reference.size(), map.size());
  }

  @Test
  void shouldHoldTheKeyZeroApartFromTheFreeSlotsItMarks() {
    LongLongMap map = new LongLongMap();
    map.put(0, 7);
    map.put(1, 8);

    assertEquals(7, map.get(0));
    assertEquals(2, map.size());
    map.remove(0);
    assertEquals(LongLongMap.MISSING, map.get(0));
    assertEquals(8, map.get(1));
    assertEquals(1, map.size());
    map.put(0, 9);
    map.clear();
    assertEquals(LongLongMap.MISSING, map.get(0));
    assertEquals(LongLongMap.MISSING, map.get(1));
    assertEquals(0, map.size());
  }

  @Test
  void shouldRefuseTheMissingMarkerAsAValue() {
    LongLongMap map = new LongLongMap();

    assertThrows(IllegalArgumentException.class, () -> map.put(1, LongLongMap.MISSING));
  }
}
