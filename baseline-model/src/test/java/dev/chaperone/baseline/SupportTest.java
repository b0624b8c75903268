package dev.chaperone.baseline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.chaperone.baseline.internal.IntIntMap;
import dev.chaperone.baseline.internal.KeyIndex;
import dev.chaperone.baseline.internal.Normal;
import dev.chaperone.baseline.internal.ResourceGeneralizer;
import dev.chaperone.baseline.internal.Sidak;
import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.apache.commons.math3.distribution.NormalDistribution;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The model's helpers against references. */
class SupportTest {

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "forum://thread/8812|forum://thread/{id}",
        "forum://thread/9920|forum://thread/{id}",
        "repo://acme/payments|repo://acme/payments",
        "repo://acme/payments-v2|repo://acme/payments-v2",
        "s3://bucket/550e8400-e29b-41d4-a716-446655440000/report.csv|s3://bucket/{id}/report.csv",
        "ticket://INC0012345|ticket://{id}",
        "iban:DE89370400440532013000|iban:{id}",
        "git://repo/commit/9fceb02d0ae598e95dc970b74767f19372d61af8|git://repo/commit/{id}",
        "https://api.example.com/v1/users/42?page=3|https://api.example.com/v1/users/{id}?page={id}",
        "logs://2026-11-02/app.log|logs://{id}-{id}-{id}/app.log",
      })
  void shouldFoldIdentifiersButKeepNames(String resource, String expected) {
    assertEquals(expected, ResourceGeneralizer.generalize(resource));
  }

  @Test
  void shouldBehaveLikeAHashMapUnderRandomOperations() {
    // Seeded random adds, removes and puts against java.util.HashMap as the reference.
    SplittableRandom random = new SplittableRandom(17);
    IntIntMap map = new IntIntMap();
    Map<Integer, Integer> reference = new HashMap<>();
    for (int i = 0; i < 200_000; i++) {
      int key = random.nextInt(2_000);
      switch (random.nextInt(3)) {
        case 0 -> {
          int delta = random.nextInt(-3, 4);
          map.add(key, delta);
          reference.merge(key, delta, Integer::sum);
          reference.remove(key, 0);
        }
        case 1 -> {
          Integer expected = reference.remove(key);
          assertEquals(expected == null ? 0 : expected, map.remove(key), "remove " + key);
        }
        default -> {
          int value = random.nextInt(-5, 6);
          map.put(key, value);
          if (value == 0) {
            reference.remove(key);
          } else {
            reference.put(key, value);
          }
        }
      }
      if (i % 1000 == 0) {
        assertEquals(reference.size(), map.size());
        for (int k = 0; k < 2_000; k++) {
          assertEquals(reference.getOrDefault(k, 0).intValue(), map.get(k));
        }
      }
    }
  }

  @Test
  void shouldKeepEachKeysIdAndCountUnderRandomOperations() {
    // Seeded random puts, count changes and removes against java.util.HashMap as the reference:
    // few distinct hashes in a small table, so that probes wrap around and removals shift chains
    // back across the end; ids and counts use all 32 bits, negative ones included, so that a slot
    // packing the two would show one spilling into the other.
    SplittableRandom random = new SplittableRandom(23);
    KeyIndex index = new KeyIndex(4);
    Map<Long, long[]> reference = new HashMap<>();
    for (int i = 0; i < 200_000; i++) {
      long hash = 1 + random.nextInt(3_000);
      switch (random.nextInt(4)) {
        case 0 -> {
          if (!reference.containsKey(hash)) {
            int id = random.nextInt();
            int count = random.nextInt();
            index.put(hash, id, count);
            reference.put(hash, new long[] {id, count});
          }
        }
        case 1 -> {
          if (reference.containsKey(hash)) {
            int delta = random.nextInt();
            long[] entry = reference.get(hash);
            entry[1] = (int) entry[1] + delta;
            assertEquals((int) entry[1], index.addCount(hash, delta), "addCount " + hash);
          } else {
            assertThrows(IllegalArgumentException.class, () -> index.addCount(hash, 1));
          }
        }
        default ->
            assertEquals(reference.remove(hash) != null, index.remove(hash), "remove " + hash);
      }
      if (i % 1000 == 0) {
        assertEquals(reference.size(), index.size());
        for (long h = 1; h <= 3_000; h++) {
          long[] entry = reference.get(h);
          assertEquals(entry == null ? -7 : (int) entry[0], index.idOf(h, -7), "id of " + h);
          assertEquals(entry == null ? 0 : (int) entry[1], index.countOf(h), "count of " + h);
        }
      }
    }
  }

  @Test
  void shouldMatchCommonsMathNormalQuantiles() {
    // Acklam's approximation: about 1e-9 relative in the body, a few 1e-6 absolute at p = 1e-12;
    // we ask for 1e-5 absolute (scores are reported to 0.1σ).
    NormalDistribution normal = new NormalDistribution(null, 0, 1);
    for (double p : new double[] {0.5, 0.3, 0.1, 0.02425, 0.01, 1e-3, 1e-6, 1e-9, 1e-12}) {
      assertEquals(
          -normal.inverseCumulativeProbability(p), Normal.upperQuantile(p), 1e-5, "p=" + p);
    }
  }

  @Test
  void shouldCorrectTheMaximumForTheNumberOfSignals() {
    // Reference: z' = Φ⁻¹(1 − (1 − (1 − Φ(z))^k)), computed with Commons Math; tolerance 1e-3σ.
    NormalDistribution normal = new NormalDistribution(null, 0, 1);
    for (int k : new int[] {1, 3, 9}) {
      for (double z : new double[] {1.0, 2.5, 4.0, 6.0, 7.5}) {
        double p = normal.cumulativeProbability(-z);
        double adjusted = 1 - Math.pow(1 - p, k);
        double expected = Math.max(0, -normal.inverseCumulativeProbability(adjusted));
        assertEquals(expected, Sidak.correct(z, k), 1e-3, "z=" + z + " k=" + k);
      }
    }
    assertEquals(4.0, Sidak.correct(4.0, 1), 1e-3);
    assertEquals(0.0, Sidak.correct(-1, 3));
    assertEquals(Math.sqrt(15 * 15 - 2 * Math.log(9)), Sidak.correct(15, 9), 1e-9);
  }
}
