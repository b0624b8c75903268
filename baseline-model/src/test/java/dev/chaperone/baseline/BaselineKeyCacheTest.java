package dev.chaperone.baseline;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.chaperone.baseline.internal.Feature;
import dev.chaperone.baseline.internal.ResourceGeneralizer;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class BaselineKeyCacheTest {

  @Test
  void shouldGiveThePairKeysTheHashingGivesWhateverTheCacheHolds() {
    // seed 7; 600 resources over a 256-slot cache, so slots are shared and replaced, and each
    // resource seen with several tools; fresh strings every time, as decoded actions bring them
    SplittableRandom random = new SplittableRandom(7);
    Baseline baseline = new Baseline(BaselineConfig.defaults());
    String[] tools = {"search", "read_file", "post_reply", "jira.update", "github.pr"};
    long t = 1_780_000_000_000L;

    for (int i = 0; i < 20_000; i++) {
      String tool = new String(tools[random.nextInt(tools.length)]);
      String resource = new String("repo/" + random.nextInt(600) + "/issues/" + random.nextInt(4));
      Observation o = Observation.of(t + i * 1_000L, "s-" + (i / 20), "read", tool, resource);

      Assessment a = baseline.assess(o, null);

      assertEquals(
          Baseline.key(Feature.PAIR, tool, resource),
          a.keyHash[Feature.PAIR.ordinal()],
          "pair key at event " + i);
      assertEquals(
          Baseline.key(Feature.PAIR_GENERAL, tool, ResourceGeneralizer.generalize(resource)),
          a.keyHash[Feature.PAIR_GENERAL.ordinal()],
          "generalised pair key at event " + i);
      baseline.learn(a);
    }
  }
}
