package dev.chaperone.streams.contract;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import dev.chaperone.schema.AgentAction;
import dev.chaperone.schema.ChaperoneSchemas;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.generic.IndexedRecord;
import org.apache.avro.specific.SpecificData;

/**
 * The JSON form of a contract record read straight from the parser's tokens, without the tree
 * {@link JsonContractCodec} builds first: for {@code chaperone replay}, which reads a million
 * actions and whose reader thread shares the machine with the topology's.
 *
 * <p>It answers only for a document the tree would accept, and then with an equal record: the same
 * conversions field by field (a timestamp from epoch milliseconds or ISO-8601 text, an unknown enum
 * symbol to the enum's default, a missing field to its default, the last of a field given twice).
 * At anything else (a field the schema lacks, a value of the wrong kind, a missing required field,
 * broken JSON, a union with two branches besides null) it answers null, and the caller converts
 * through the tree, whose errors name the field and the reason. {@code StreamedJsonTest} holds the
 * two readers to the same answers.
 */
final class StreamedJson {

  /** Thrown where the streamed reader leaves the document to the tree; carries nothing. */
  private static final class NotStreamed extends Exception {
    private static final long serialVersionUID = 1L;

    NotStreamed() {
      super(null, null, false, false);
    }
  }

  private static final NotStreamed NOT_STREAMED = new NotStreamed();
  private static final SpecificData SPECIFIC = SpecificData.get();

  private StreamedJson() {}

  /**
   * How the values of one schema are read, decided once per schema: the field of each name, the
   * branch of each union, the symbol of each enum name, the class of each record and the defaults
   * of its fields, all looked up when the reader is built rather than at every value (a million
   * actions, each some fifty values).
   */
  @FunctionalInterface
  private interface Reader {
    Object read(JsonParser in, JsonToken token) throws IOException, NotStreamed;
  }

  /** The reader of a schema it does not read: every value is left to the tree. */
  private static final Reader LEFT_TO_THE_TREE =
      (in, token) -> {
        throw NOT_STREAMED;
      };

  /** The readers of the contract's action, built on first use. */
  private static final class Actions {
    static final Reader READER;

    static {
      ChaperoneSchemas.trustGeneratedClasses();
      READER = reader(AgentAction.getClassSchema(), new IdentityHashMap<>());
    }
  }

  /** The action in {@code length} bytes of UTF-8 JSON from {@code offset}, or null (see above). */
  static AgentAction action(JsonFactory json, byte[] bytes, int offset, int length) {
    try (JsonParser parser = json.createParser(bytes, offset, length)) {
      JsonToken first = parser.nextToken();
      if (first == null) {
        return null;
      }
      return (AgentAction) Actions.READER.read(parser, first);
    } catch (IOException | NotStreamed e) {
      return null;
    }
  }

  /** The reader of {@code schema}; {@code records} holds those being built, for recursion. */
  private static Reader reader(Schema schema, Map<Schema, RecordReader> records) {
    switch (schema.getType()) {
      case RECORD:
        RecordReader building = records.get(schema);
        if (building != null) {
          return building;
        }
        RecordReader record = new RecordReader(schema);
        records.put(schema, record);
        record.build(records);
        return record;
      case UNION:
        return union(schema, records);
      case STRING:
        return (in, token) -> {
          expect(token == JsonToken.VALUE_STRING);
          return in.getText();
        };
      case LONG:
        if (JsonContractCodec.isTimestamp(schema)) {
          return StreamedJson::timestamp;
        }
        return (in, token) -> {
          expect(isLong(in, token));
          return in.getLongValue();
        };
      case INT:
        return (in, token) -> {
          expect(
              token == JsonToken.VALUE_NUMBER_INT
                  && in.getNumberType() == JsonParser.NumberType.INT);
          return in.getIntValue();
        };
      case DOUBLE:
      case FLOAT:
        boolean single = schema.getType() == Schema.Type.FLOAT;
        return (in, token) -> {
          expect(token == JsonToken.VALUE_NUMBER_INT || token == JsonToken.VALUE_NUMBER_FLOAT);
          double d = in.getDoubleValue();
          return single ? (Object) (float) d : (Object) d;
        };
      case BOOLEAN:
        return (in, token) -> {
          expect(token == JsonToken.VALUE_TRUE || token == JsonToken.VALUE_FALSE);
          return token == JsonToken.VALUE_TRUE;
        };
      case BYTES:
        return (in, token) -> {
          expect(token == JsonToken.VALUE_STRING);
          try {
            return ByteBuffer.wrap(Base64.getDecoder().decode(in.getText()));
          } catch (IllegalArgumentException e) {
            throw NOT_STREAMED;
          }
        };
      case ENUM:
        return enumeration(schema);
      case ARRAY:
        Reader element = reader(schema.getElementType(), records);
        return (in, token) -> {
          expect(token == JsonToken.START_ARRAY);
          List<Object> items = new ArrayList<>();
          for (JsonToken item = in.nextToken();
              item != JsonToken.END_ARRAY;
              item = in.nextToken()) {
            items.add(element.read(in, item));
          }
          return items;
        };
      case MAP:
        Reader value = reader(schema.getValueType(), records);
        return (in, token) -> {
          expect(token == JsonToken.START_OBJECT);
          Map<String, Object> entries = new LinkedHashMap<>();
          for (String key = in.nextFieldName(); key != null; key = in.nextFieldName()) {
            entries.put(key, value.read(in, in.nextToken()));
          }
          return entries;
        };
      case NULL:
        return (in, token) -> {
          expect(token == JsonToken.VALUE_NULL);
          return null;
        };
      default:
        return LEFT_TO_THE_TREE;
    }
  }

  /**
   * A record: its fields found by name (first the field after the last one read, compared by
   * identity, as the parser hands out interned names and documents mostly keep the schema's order;
   * else by a map), the fields not given set to a copy of their defaults.
   */
  private static final class RecordReader implements Reader {
    private final Schema schema;
    private final Class<?> type;
    private final String[] names;
    private final Map<String, Integer> positions = new HashMap<>();
    private final Reader[] fields;
    private final Schema[] fieldSchemas;
    private final boolean[] hasDefault;
    private final Object[] defaults;

    RecordReader(Schema schema) {
      this.schema = schema;
      this.type = SPECIFIC.getClass(schema);
      int n = schema.getFields().size();
      this.names = new String[n];
      this.fields = new Reader[n];
      this.fieldSchemas = new Schema[n];
      this.hasDefault = new boolean[n];
      this.defaults = new Object[n];
    }

    void build(Map<Schema, RecordReader> records) {
      for (Schema.Field field : schema.getFields()) {
        int pos = field.pos();
        names[pos] = field.name().intern();
        positions.put(field.name(), pos);
        fieldSchemas[pos] = field.schema();
        hasDefault[pos] = field.hasDefaultValue();
        defaults[pos] = field.hasDefaultValue() ? SPECIFIC.getDefaultValue(field) : null;
        fields[pos] = reader(field.schema(), records);
      }
    }

    @Override
    public Object read(JsonParser in, JsonToken token) throws IOException, NotStreamed {
      expect(token == JsonToken.START_OBJECT);
      IndexedRecord record =
          (IndexedRecord)
              (type == null
                  ? SPECIFIC.newRecord(null, schema)
                  : SpecificData.newInstance(type, schema));
      boolean[] given = new boolean[names.length];
      int next = 0;
      for (String name = in.nextFieldName(); name != null; name = in.nextFieldName()) {
        int pos;
        if (next < names.length && names[next] == name) {
          pos = next;
        } else {
          Integer found = positions.get(name);
          expect(found != null);
          pos = found;
        }
        record.put(pos, fields[pos].read(in, in.nextToken()));
        given[pos] = true;
        next = pos + 1;
      }
      expect(in.currentToken() == JsonToken.END_OBJECT);
      for (int pos = 0; pos < names.length; pos++) {
        if (!given[pos]) {
          expect(hasDefault[pos]);
          record.put(pos, SPECIFIC.deepCopy(fieldSchemas[pos], defaults[pos]));
        }
      }
      return record;
    }
  }

  /** A union of null and one other branch; any other union is left to the tree. */
  private static Reader union(Schema schema, Map<Schema, RecordReader> records) {
    Schema only = null;
    boolean nullable = false;
    for (Schema branch : schema.getTypes()) {
      if (branch.getType() == Schema.Type.NULL) {
        nullable = true;
      } else if (only == null) {
        only = branch;
      } else {
        return LEFT_TO_THE_TREE;
      }
    }
    boolean allowsNull = nullable;
    Reader branch = only == null ? null : reader(only, records);
    return (in, token) -> {
      if (token == JsonToken.VALUE_NULL) {
        expect(allowsNull);
        return null;
      }
      expect(branch != null);
      return branch.read(in, token);
    };
  }

  /** An enum: each symbol's value made once, an unknown symbol read as the enum's default. */
  private static Reader enumeration(Schema schema) {
    Map<String, Object> symbols = new HashMap<>();
    for (String symbol : schema.getEnumSymbols()) {
      symbols.put(symbol, SPECIFIC.createEnum(symbol, schema));
    }
    String fallback = schema.getEnumDefault();
    Object unknown = fallback == null ? null : SPECIFIC.createEnum(fallback, schema);
    return (in, token) -> {
      expect(token == JsonToken.VALUE_STRING);
      Object symbol = symbols.get(in.getText());
      if (symbol == null) {
        expect(unknown != null);
        return unknown;
      }
      return symbol;
    };
  }

  private static Instant timestamp(JsonParser in, JsonToken token) throws IOException, NotStreamed {
    if (isLong(in, token)) {
      return Instant.ofEpochMilli(in.getLongValue());
    }
    expect(token == JsonToken.VALUE_STRING);
    Instant parsed = JsonContractCodec.instant(in.getText());
    expect(parsed != null);
    return parsed;
  }

  /** An integral number that fits a long (the tree's {@code canConvertToLong}). */
  private static boolean isLong(JsonParser in, JsonToken token) throws IOException {
    return token == JsonToken.VALUE_NUMBER_INT
        && in.getNumberType() != JsonParser.NumberType.BIG_INTEGER;
  }

  private static void expect(boolean condition) throws NotStreamed {
    if (!condition) {
      throw NOT_STREAMED;
    }
  }
}
