package dev.chaperone.streams.detect;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class GlobsTest {

  @Test
  void shouldMatchTheRegistrysPatterns() {
    assertTrue(Globs.matches("forum.post", "forum.post"));
    assertFalse(Globs.matches("forum.post", "forum.posts"));
    assertTrue(Globs.matches("forum.*", "forum.post"));
    assertTrue(Globs.matches("forum.*", "forum."));
    assertFalse(Globs.matches("forum.*", "forum.a/b"), "* stops at /");
    assertFalse(Globs.matches("forum.*", "kb.search"));
    assertTrue(Globs.matches("forum://infra/**", "forum://infra/thread/12"));
    assertTrue(Globs.matches("forum://infra/**", "forum://infra/"));
    assertFalse(Globs.matches("forum://infra/**", "forum://infra"));
    assertTrue(Globs.matches("repo://org/*/issues", "repo://org/x/issues"));
    assertTrue(Globs.matches("tok-?", "tok-1"));
  }

  @Test
  void shouldAnswerEveryPatternShapeAsTheGeneralMatcherDoes() {
    // Given random patterns over a small alphabet with literals, *, ** and ? anywhere (seed 17),
    // against random texts: the shapes with a shortcut (literal, literal*, literal**) and all
    // others
    SplittableRandom random = new SplittableRandom(17);
    String[] pieces = {"a", "b", "/", ".", "*", "**", "?"};
    String[] letters = {"a", "b", "/", "."};
    for (int i = 0; i < 200_000; i++) {
      StringBuilder pattern = new StringBuilder();
      int parts = random.nextInt(5);
      for (int p = 0; p < parts; p++) {
        pattern.append(pieces[random.nextInt(random.nextInt(3) == 0 ? pieces.length : 4)]);
      }
      if (random.nextBoolean()) {
        pattern.append(random.nextBoolean() ? "*" : "**");
      }
      StringBuilder text = new StringBuilder();
      int length = random.nextInt(7);
      for (int t = 0; t < length; t++) {
        text.append(letters[random.nextInt(letters.length)]);
      }
      // Then the answers agree
      assertEquals(
          Globs.general(pattern.toString(), text.toString()),
          Globs.matches(pattern.toString(), text.toString()),
          pattern + " vs " + text);
    }
  }
}
