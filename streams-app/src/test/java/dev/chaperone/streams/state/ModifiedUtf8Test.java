package dev.chaperone.streams.state;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UTFDataFormatException;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class ModifiedUtf8Test {

  @Test
  void shouldWriteTheBytesOfWriteUtfForEveryKindOfCharacter() throws IOException {
    // Given strings of ASCII, NUL, two- and three-byte characters and surrogate pairs (seed 3)
    SplittableRandom random = new SplittableRandom(3);
    char[] alphabet = {
      'a', 'Z', '0', '/', ':', '?', '\u0000', '\u007f', '\u0080', 'é', '\u07ff', '\u0800', 'σ',
      '\uffff', '\ud83d', '\ude00'
    };
    for (int i = 0; i < 20_000; i++) {
      StringBuilder value = new StringBuilder();
      int length = random.nextInt(40);
      boolean asciiOnly = random.nextBoolean();
      for (int c = 0; c < length; c++) {
        value.append(alphabet[random.nextInt(asciiOnly ? 6 : alphabet.length)]);
      }
      // When both write it, Then the bytes are the same and readUTF reads the string back
      assertSameAsWriteUtf(value.toString());
    }
  }

  @Test
  void shouldWriteTheBytesOfWriteUtfAtTheEdges() throws IOException {
    for (String value :
        List.of("", "a", "\u0000", "tok-s-agent-7-20261201-03", "x".repeat(0xFFFF))) {
      assertSameAsWriteUtf(value);
    }
  }

  @Test
  void shouldRefuseWhatWriteUtfRefuses() {
    // 65,536 ASCII characters do not fit the two-byte length, nor do 30,000 three-byte ones
    for (String value : List.of("x".repeat(0x10000), "\u0800".repeat(30_000))) {
      assertThrows(
          UTFDataFormatException.class,
          () -> ModifiedUtf8.write(new DataOutputStream(new ByteArrayOutputStream()), value));
      assertThrows(IllegalArgumentException.class, () -> ModifiedUtf8.form(value));
    }
  }

  private static void assertSameAsWriteUtf(String value) throws IOException {
    ByteArrayOutputStream expected = new ByteArrayOutputStream();
    new DataOutputStream(expected).writeUTF(value);
    ByteArrayOutputStream actual = new ByteArrayOutputStream();
    ModifiedUtf8.write(new DataOutputStream(actual), value);
    assertArrayEquals(expected.toByteArray(), actual.toByteArray(), value);
    assertArrayEquals(expected.toByteArray(), ModifiedUtf8.form(value), "form of " + value);
    assertEquals(
        value,
        new DataInputStream(new ByteArrayInputStream(actual.toByteArray())).readUTF(),
        "read back");
  }
}
