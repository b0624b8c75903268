package dev.chaperone.streams.contract;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import dev.chaperone.schema.AgentAction;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
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

  /** The action in {@code length} bytes of UTF-8 JSON from {@code offset}, or null (see above). */
  static AgentAction action(JsonFactory json, byte[] bytes, int offset, int length) {
    try (JsonParser parser = json.createParser(bytes, offset, length)) {
      JsonToken first = parser.nextToken();
      if (first == null) {
        return null;
      }
      return (AgentAction) value(parser, first, AgentAction.getClassSchema());
    } catch (IOException | NotStreamed e) {
      return null;
    }
  }

  private static Object value(JsonParser in, JsonToken token, Schema schema)
      throws IOException, NotStreamed {
    switch (schema.getType()) {
      case RECORD:
        return record(in, token, schema);
      case UNION:
        return union(in, token, schema);
      case STRING:
        expect(token == JsonToken.VALUE_STRING);
        return in.getText();
      case LONG:
        if (JsonContractCodec.isTimestamp(schema)) {
          return timestamp(in, token);
        }
        expect(isLong(in, token));
        return in.getLongValue();
      case INT:
        expect(
            token == JsonToken.VALUE_NUMBER_INT && in.getNumberType() == JsonParser.NumberType.INT);
        return in.getIntValue();
      case DOUBLE:
      case FLOAT:
        expect(token == JsonToken.VALUE_NUMBER_INT || token == JsonToken.VALUE_NUMBER_FLOAT);
        double d = in.getDoubleValue();
        return schema.getType() == Schema.Type.FLOAT ? (Object) (float) d : (Object) d;
      case BOOLEAN:
        expect(token == JsonToken.VALUE_TRUE || token == JsonToken.VALUE_FALSE);
        return token == JsonToken.VALUE_TRUE;
      case BYTES:
        expect(token == JsonToken.VALUE_STRING);
        try {
          return ByteBuffer.wrap(Base64.getDecoder().decode(in.getText()));
        } catch (IllegalArgumentException e) {
          throw NOT_STREAMED;
        }
      case ENUM:
        return enumSymbol(in, token, schema);
      case ARRAY:
        expect(token == JsonToken.START_ARRAY);
        List<Object> items = new ArrayList<>();
        for (JsonToken item = in.nextToken(); item != JsonToken.END_ARRAY; item = in.nextToken()) {
          items.add(value(in, item, schema.getElementType()));
        }
        return items;
      case MAP:
        expect(token == JsonToken.START_OBJECT);
        Map<String, Object> entries = new LinkedHashMap<>();
        for (String key = in.nextFieldName(); key != null; key = in.nextFieldName()) {
          entries.put(key, value(in, in.nextToken(), schema.getValueType()));
        }
        return entries;
      case NULL:
        expect(token == JsonToken.VALUE_NULL);
        return null;
      default:
        throw NOT_STREAMED;
    }
  }

  private static Object record(JsonParser in, JsonToken token, Schema schema)
      throws IOException, NotStreamed {
    expect(token == JsonToken.START_OBJECT);
    List<Schema.Field> fields = schema.getFields();
    IndexedRecord record = (IndexedRecord) SPECIFIC.newRecord(null, schema);
    boolean[] given = new boolean[fields.size()];
    for (String name = in.nextFieldName(); name != null; name = in.nextFieldName()) {
      Schema.Field field = schema.getField(name);
      expect(field != null);
      record.put(field.pos(), value(in, in.nextToken(), field.schema()));
      given[field.pos()] = true;
    }
    expect(in.currentToken() == JsonToken.END_OBJECT);
    for (Schema.Field field : fields) {
      if (!given[field.pos()]) {
        expect(field.hasDefaultValue());
        record.put(field.pos(), SPECIFIC.deepCopy(field.schema(), SPECIFIC.getDefaultValue(field)));
      }
    }
    return record;
  }

  private static Object union(JsonParser in, JsonToken token, Schema schema)
      throws IOException, NotStreamed {
    Schema only = null;
    boolean nullable = false;
    for (Schema branch : schema.getTypes()) {
      if (branch.getType() == Schema.Type.NULL) {
        nullable = true;
      } else {
        expect(only == null);
        only = branch;
      }
    }
    if (token == JsonToken.VALUE_NULL) {
      expect(nullable);
      return null;
    }
    expect(only != null);
    return value(in, token, only);
  }

  private static Object enumSymbol(JsonParser in, JsonToken token, Schema schema)
      throws IOException, NotStreamed {
    expect(token == JsonToken.VALUE_STRING);
    String symbol = in.getText();
    if (!schema.hasEnumSymbol(symbol)) {
      symbol = schema.getEnumDefault();
      expect(symbol != null);
    }
    return SPECIFIC.createEnum(symbol, schema);
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
