package dev.chaperone.baseline.internal;

/**
 * 64-bit FNV-1a hashing of feature keys. Stable across JVMs and versions (unlike {@link
 * String#hashCode()} mixed by a map), because hashes are persisted in encoded baselines.
 */
public final class Hashing {

  private static final long OFFSET = 0xcbf29ce484222325L;
  private static final long PRIME = 0x100000001b3L;

  private Hashing() {}

  /** The hash of {@code feature} alone, the seed of every key of that feature. */
  public static long seed(int feature) {
    return mix(OFFSET, feature + 1);
  }

  /** Continues {@code h} with the characters of {@code text} (null hashes as a marker). */
  public static long mix(long h, CharSequence text) {
    if (text == null) {
      return mix(h, 0xFFFF);
    }
    for (int i = 0, n = text.length(); i < n; i++) {
      h = (h ^ text.charAt(i)) * PRIME; // FNV-1a over UTF-16 code units
    }
    return (h ^ 0x1F) * PRIME; // a separator, so ("ab","c") and ("a","bc") differ
  }

  /** Continues {@code h} with an int. */
  public static long mix(long h, int value) {
    for (int i = 0; i < 4; i++) {
      h = (h ^ ((value >>> (8 * i)) & 0xFF)) * PRIME;
    }
    return h;
  }

  /** Avoids the one value the dictionary reserves. */
  public static long finish(long h) {
    return h == Long.MIN_VALUE ? Long.MIN_VALUE + 1 : h;
  }
}
