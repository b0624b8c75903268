package dev.chaperone.streams.serde;

/** The two framings Chaperone reads and writes on every Avro topic. */
public enum WireFormat {
  /** Confluent framing: magic byte {@code 0x00}, a 4-byte big-endian schema id, the datum. */
  CONFLUENT,
  /**
   * Avro single-object encoding: {@code 0xC3 0x01}, the 8-byte little-endian CRC-64-AVRO
   * fingerprint of the writer schema, the datum.
   */
  SINGLE_OBJECT;

  static final byte CONFLUENT_MAGIC = 0x00;
  static final byte SINGLE_OBJECT_MAGIC_0 = (byte) 0xC3;
  static final byte SINGLE_OBJECT_MAGIC_1 = 0x01;
  static final int CONFLUENT_HEADER = 5;
  static final int SINGLE_OBJECT_HEADER = 10;
}
