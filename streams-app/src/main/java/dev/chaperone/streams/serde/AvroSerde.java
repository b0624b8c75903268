package dev.chaperone.streams.serde;

import dev.chaperone.schema.AgentAction;
import dev.chaperone.schema.ChaperoneSchemas;
import dev.chaperone.streams.registry.SchemaRegistry;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.AvroRuntimeException;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.SchemaNormalization;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

/**
 * The serde of every Avro topic. Reading detects the framing from the first bytes (Confluent's
 * {@code 0x00}+id or Avro's single-object {@code 0xC3 0x01}+fingerprint) and resolves the writer's
 * schema to this build's reader schema, so producers on an older or newer compatible schema are
 * read. Writing uses Confluent framing when a {@link SchemaRegistry} is given (registering under
 * {@code <topic>-value} or {@code <topic>-key}), single-object encoding otherwise.
 *
 * <p>A record type with a hand-written codec of its layout ({@link AgentActionBinary}, the one
 * every action passes through) is read and written by it when the writer's layout is this build's;
 * whatever it cannot read or write goes to Avro, whose answer or error stands.
 *
 * <p>{@code null} maps to {@code null} both ways. Bad bytes throw {@link SerializationException}
 * whose message says what is wrong: empty, unknown magic byte, unknown schema id or fingerprint,
 * truncated header or datum, trailing bytes, incompatible writer schema. Instances are safe for use
 * by one thread at a time per serializer/deserializer, as Kafka uses them.
 */
public final class AvroSerde<T extends SpecificRecord> implements Serde<T> {

  private final AvroSerializer<T> serializer;
  private final AvroDeserializer<T> deserializer;

  /**
   * @param type the generated record class
   * @param registry the schema registry, or null for single-object encoding without a registry
   * @param isKey whether this serde is for record keys (subject {@code <topic>-key})
   */
  public AvroSerde(Class<T> type, SchemaRegistry registry, boolean isKey) {
    this(type, registry, isKey, true);
  }

  private AvroSerde(Class<T> type, SchemaRegistry registry, boolean isKey, boolean direct) {
    ChaperoneSchemas.trustGeneratedClasses();
    Schema schema = ChaperoneSchemas.schemaOf(type);
    DirectCodec<T> codec = direct ? directCodec(schema) : null;
    this.serializer = new AvroSerializer<>(schema, registry, isKey, codec);
    this.deserializer = new AvroDeserializer<>(schema, registry, List.of(), codec);
  }

  /** The serde without its direct codec: Avro's reader and writer alone, as a reference. */
  static <T extends SpecificRecord> AvroSerde<T> avroOnly(Class<T> type, SchemaRegistry registry) {
    return new AvroSerde<>(type, registry, false, false);
  }

  public static <T extends SpecificRecord> AvroSerde<T> forValues(
      Class<T> type, SchemaRegistry registry) {
    return new AvroSerde<>(type, registry, false);
  }

  @Override
  public AvroSerializer<T> serializer() {
    return serializer;
  }

  @Override
  public AvroDeserializer<T> deserializer() {
    return deserializer;
  }

  /** Writes one record in the framing the registry setting asks for. */
  public static final class AvroSerializer<T extends SpecificRecord> implements Serializer<T> {
    private final Schema schema;
    private final SchemaRegistry registry;
    private final boolean isKey;
    private final SpecificDatumWriter<T> writer;
    private final byte[] singleObjectHeader;
    // one instance serves every stream thread: nothing here may be shared unguarded
    private final Map<String, Integer> idsBySubject = new ConcurrentHashMap<>();
    private final ThreadLocal<BinaryEncoder> encoders = new ThreadLocal<>();
    private final DirectCodec<T> direct;

    AvroSerializer(Schema schema, SchemaRegistry registry, boolean isKey, DirectCodec<T> direct) {
      this.schema = schema;
      this.registry = registry;
      this.isKey = isKey;
      this.writer = new SpecificDatumWriter<>(schema);
      this.direct = direct;
      this.singleObjectHeader = singleObjectHeader(schema);
    }

    @Override
    public byte[] serialize(String topic, T data) {
      if (data == null) {
        return null;
      }
      ByteArrayOutputStream out = new ByteArrayOutputStream(256);
      writeHeader(topic, out);
      try {
        // buffered: the direct encoder hands the stream a byte at a time, each a synchronized call
        BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(out, encoders.get());
        encoders.set(encoder);
        if (direct != null) {
          try {
            direct.write(data, encoder);
            encoder.flush();
            return out.toByteArray();
          } catch (IOException | RuntimeException e) {
            // Avro's writer says what is wrong with the value; start again with a clean buffer
            out.reset();
            writeHeader(topic, out);
            encoder = EncoderFactory.get().binaryEncoder(out, null);
            encoders.set(encoder);
          }
        }
        writer.write(data, encoder);
        encoder.flush();
      } catch (IOException | AvroRuntimeException e) {
        throw new SerializationException(
            "cannot serialize " + schema.getName() + " for topic " + topic + ": " + e.getMessage(),
            e);
      }
      return out.toByteArray();
    }

    private void writeHeader(String topic, ByteArrayOutputStream out) {
      if (registry != null) {
        String subject = topic + (isKey ? "-key" : "-value");
        int id = idsBySubject.computeIfAbsent(subject, s -> registry.register(s, schema));
        out.write(WireFormat.CONFLUENT_MAGIC);
        out.writeBytes(ByteBuffer.allocate(4).putInt(id).array());
      } else {
        out.writeBytes(singleObjectHeader);
      }
    }
  }

  /** Reads either framing and resolves the writer schema to the reader schema. */
  public static final class AvroDeserializer<T extends SpecificRecord> implements Deserializer<T> {
    private final Schema readerSchema;
    private final SchemaRegistry registry;
    // one instance serves every stream thread: nothing here may be shared unguarded
    private final Map<Long, Schema> knownByFingerprint = new ConcurrentHashMap<>();
    private final Map<Schema, Reading<T>> readers = new ConcurrentHashMap<>();
    private final ThreadLocal<BinaryDecoder> decoders = new ThreadLocal<>();
    private final DirectCodec<T> direct;

    AvroDeserializer(
        Schema readerSchema,
        SchemaRegistry registry,
        Collection<Schema> olderWriterSchemas,
        DirectCodec<T> direct) {
      this.readerSchema = readerSchema;
      this.registry = registry;
      this.direct = direct;
      knownByFingerprint.put(SchemaNormalization.parsingFingerprint64(readerSchema), readerSchema);
      for (Schema older : olderWriterSchemas) {
        knownByFingerprint.put(SchemaNormalization.parsingFingerprint64(older), older);
      }
    }

    /** Accepts single-object records written with {@code schema} as well. */
    public AvroDeserializer<T> withKnownWriterSchema(Schema schema) {
      knownByFingerprint.put(SchemaNormalization.parsingFingerprint64(schema), schema);
      return this;
    }

    @Override
    public T deserialize(String topic, byte[] data) {
      if (data == null) {
        return null;
      }
      if (data.length == 0) {
        throw new SerializationException(
            "empty record: 0 bytes where an Avro " + readerSchema.getName() + " was expected");
      }
      Schema writerSchema;
      int offset;
      if (data[0] == WireFormat.CONFLUENT_MAGIC) {
        if (data.length < WireFormat.CONFLUENT_HEADER) {
          throw new SerializationException(
              "truncated Confluent header: "
                  + data.length
                  + " bytes, need 5 (magic byte and schema id)");
        }
        int id = ByteBuffer.wrap(data, 1, 4).getInt();
        writerSchema = writerById(id);
        offset = WireFormat.CONFLUENT_HEADER;
      } else if (data[0] == WireFormat.SINGLE_OBJECT_MAGIC_0) {
        if (data.length < 2 || data[1] != WireFormat.SINGLE_OBJECT_MAGIC_1) {
          throw new SerializationException(
              "bad single-object marker: 0xC3 followed by "
                  + (data.length < 2 ? "nothing" : String.format("0x%02X", data[1]))
                  + ", Avro single-object encoding starts 0xC3 0x01");
        }
        if (data.length < WireFormat.SINGLE_OBJECT_HEADER) {
          throw new SerializationException(
              "truncated single-object header: "
                  + data.length
                  + " bytes, need 10 (marker and fingerprint)");
        }
        long fingerprint = ByteBuffer.wrap(data, 2, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        writerSchema = knownByFingerprint.get(fingerprint);
        if (writerSchema == null) {
          throw new SerializationException(
              String.format(
                  "unknown schema fingerprint: %016x is not a %s schema this build knows",
                  fingerprint, readerSchema.getName()));
        }
        offset = WireFormat.SINGLE_OBJECT_HEADER;
      } else {
        throw new SerializationException(
            String.format(
                "unknown magic byte: 0x%02X, expected 0x00 (Confluent framing) or 0xC3 0x01 (Avro single-object encoding)",
                data[0]));
      }
      return decode(writerSchema, data, offset);
    }

    private Schema writerById(int id) {
      if (registry == null) {
        throw new SerializationException(
            "no schema registry: the record is Confluent-framed with schema id "
                + id
                + " but no schema.registry.url is configured");
      }
      try {
        return registry.schemaById(id);
      } catch (dev.chaperone.streams.registry.SchemaRegistryException e) {
        if (e.isNotFound()) {
          throw new SerializationException(
              "unknown schema id: the schema registry does not know id " + id, e);
        }
        // A registry outage is not the record's fault; let the caller's handler decide (retry or
        // fail).
        throw e;
      }
    }

    private T decode(Schema writerSchema, byte[] data, int offset) {
      Reading<T> reading = readers.computeIfAbsent(writerSchema, this::readingFor);
      if (reading.direct() != null) {
        try {
          BinaryInput in = new BinaryInput(data, offset, data.length - offset);
          T value = reading.direct().read(in);
          if (in.isEnd()) {
            return value;
          }
        } catch (IOException | RuntimeException e) {
          // Avro's reader gives the answer below, and its error is the one that stands
        }
      }
      BinaryDecoder decoder =
          DecoderFactory.get().binaryDecoder(data, offset, data.length - offset, decoders.get());
      decoders.set(decoder);
      SpecificDatumReader<T> reader = reading.avro();
      T value;
      try {
        value = reader.read(null, decoder);
      } catch (EOFException e) {
        throw new SerializationException(
            "truncated datum: "
                + readerSchema.getName()
                + " ended after "
                + (data.length - offset)
                + " bytes",
            e);
      } catch (IOException | RuntimeException e) {
        throw new SerializationException(
            "corrupt datum: cannot decode " + readerSchema.getName() + ": " + describe(e), e);
      }
      try {
        if (!decoder.isEnd()) {
          throw new SerializationException(
              "trailing bytes: the record goes on after a complete "
                  + readerSchema.getName()
                  + " datum of "
                  + data.length
                  + " bytes; it is corrupt or mis-framed");
        }
      } catch (IOException e) {
        throw new SerializationException("corrupt datum: " + describe(e), e);
      }
      return value;
    }

    private Reading<T> readingFor(Schema writerSchema) {
      var compatibility =
          SchemaCompatibility.checkReaderWriterCompatibility(readerSchema, writerSchema);
      if (compatibility.getType() != SchemaCompatibility.SchemaCompatibilityType.COMPATIBLE) {
        throw new SerializationException(
            "incompatible schema: writer schema "
                + writerSchema.getFullName()
                + " cannot be read as "
                + readerSchema.getFullName()
                + ": "
                + compatibility.getResult().getIncompatibilities().stream()
                    .map(i -> i.getType() + " at " + i.getLocation())
                    .limit(3)
                    .toList());
      }
      boolean sameLayout =
          SchemaNormalization.parsingFingerprint64(writerSchema)
              == SchemaNormalization.parsingFingerprint64(readerSchema);
      return new Reading<>(
          new SpecificDatumReader<>(writerSchema, readerSchema), sameLayout ? direct : null);
    }

    private static String describe(Throwable e) {
      String message = e.getMessage();
      return e.getClass().getSimpleName() + (message == null ? "" : ": " + message);
    }
  }

  /** How records of one writer schema are read: by Avro, and first by a direct codec if any. */
  private record Reading<T>(SpecificDatumReader<T> avro, DirectCodec<T> direct) {}

  /**
   * A hand-written reader and writer of one schema's binary layout, for a hot record type: what
   * Avro's generic datum reader and writer would do, without their per-field dispatch. Whatever it
   * cannot read or write is done again by Avro, whose answer or error stands.
   */
  interface DirectCodec<T> {
    T read(BinaryInput in) throws IOException;

    void write(T value, BinaryEncoder out) throws IOException;
  }

  /** The direct codec of {@code schema}, if this build has one for its layout; else null. */
  @SuppressWarnings("unchecked")
  static <T> DirectCodec<T> directCodec(Schema schema) {
    if (schema.getFullName().equals(AgentAction.getClassSchema().getFullName())
        && AgentActionBinary.matches(schema)) {
      return (DirectCodec<T>) AgentActionBinary.INSTANCE;
    }
    return null;
  }

  static byte[] singleObjectHeader(Schema schema) {
    ByteBuffer header =
        ByteBuffer.allocate(WireFormat.SINGLE_OBJECT_HEADER).order(ByteOrder.LITTLE_ENDIAN);
    header.put(WireFormat.SINGLE_OBJECT_MAGIC_0).put(WireFormat.SINGLE_OBJECT_MAGIC_1);
    header.putLong(SchemaNormalization.parsingFingerprint64(schema));
    return header.array();
  }
}
