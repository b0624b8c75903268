package dev.chaperone.streams.state;

import java.io.ByteArrayOutputStream;
import java.io.DataOutput;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * {@link DataOutput#writeUTF(String)}, byte for byte, without its per-character loop for the
 * strings state is made of (ids, tool names, token ids: ASCII). The state records read them back
 * with {@link java.io.DataInput#readUTF()}.
 *
 * <p>Modified UTF-8 and UTF-8 agree on characters U+0001 to U+007F, one byte each. When a string's
 * UTF-8 form ({@link String#getBytes}) has one byte per character, every character is one of those
 * or a lone surrogate, which {@code getBytes} replaces by {@code '?'}; with no zero byte and no
 * {@code '?'} among them it is ASCII alone, and its modified UTF-8 form is a two-byte length and
 * the same bytes. Anything else is left to {@code writeUTF}. (Measured with {@code chaperone
 * bench}: {@code writeUTF} was 6 % of the stream thread, encoding inventory entries and sightings
 * at each commit.)
 */
public final class ModifiedUtf8 {

  private ModifiedUtf8() {}

  /** Writes {@code value} exactly as {@code out.writeUTF(value)} does. */
  public static void write(DataOutput out, String value) throws IOException {
    byte[] ascii = plainAscii(value);
    if (ascii == null) {
      out.writeUTF(value);
      return;
    }
    out.writeShort(ascii.length);
    out.write(ascii);
  }

  /**
   * {@code value} as {@code writeUTF} writes it, its two-byte length first.
   *
   * @throws IllegalArgumentException if its encoding is longer than {@code writeUTF} takes
   */
  public static byte[] form(String value) {
    byte[] ascii = plainAscii(value);
    if (ascii == null) {
      ByteArrayOutputStream form = new ByteArrayOutputStream(2 + 3 * value.length());
      try (DataOutputStream out = new DataOutputStream(form)) {
        out.writeUTF(value);
      } catch (IOException e) {
        throw new IllegalArgumentException(
            "cannot encode a string of " + value.length() + " chars", e);
      }
      return form.toByteArray();
    }
    byte[] form = new byte[2 + ascii.length];
    form[0] = (byte) (ascii.length >>> 8);
    form[1] = (byte) ascii.length;
    System.arraycopy(ascii, 0, form, 2, ascii.length);
    return form;
  }

  /**
   * The UTF-8 bytes of {@code value} when they are its modified UTF-8 too and fit a two-byte
   * length; null otherwise.
   */
  private static byte[] plainAscii(String value) {
    int length = value.length();
    if (length > 0xFFFF) {
      return null;
    }
    byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
    return bytes.length == length && isPlainAscii(bytes) ? bytes : null;
  }

  /** No zero byte (two bytes in modified UTF-8) and no {@code '?'} (maybe a lone surrogate). */
  private static boolean isPlainAscii(byte[] bytes) {
    for (byte b : bytes) {
      if (b == 0 || b == '?') {
        return false;
      }
    }
    return true;
  }
}
