package dev.chaperone.streams.contract;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.chaperone.schema.AgentAction;
import dev.chaperone.schema.AgentRegistration;
import dev.chaperone.schema.ChaperoneSchemas;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.avro.LogicalType;
import org.apache.avro.LogicalTypes;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericContainer;
import org.apache.avro.generic.GenericEnumSymbol;
import org.apache.avro.generic.IndexedRecord;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificRecord;

/**
 * Reads and writes the documented JSON form of the contract ({@code docs/event-contract.md}): the
 * Avro field names, timestamps as ISO-8601 strings or epoch milliseconds, enums by symbol, absent
 * optional fields allowed. Driven by the Avro schema, so every record of the contract has a JSON
 * form that cannot drift from its binary one.
 *
 * <p>Reading is strict: an unknown field, a missing required field, a wrong type or an unknown enum
 * symbol (for enums without a default) is a {@link ContractViolationException} naming the field
 * path and the reason, e.g. {@code delegation[2].principalType: unknown symbol "ROBOT"}. Writing
 * renders timestamps as ISO-8601 strings. Thread-safe.
 */
public final class JsonContractCodec {

  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
  private static final SpecificData SPECIFIC = SpecificData.get();

  private JsonContractCodec() {}

  /** Reads one {@link AgentAction} from its JSON form. */
  public static AgentAction readAction(String json) throws ContractViolationException {
    return read(json, AgentAction.class);
  }

  /**
   * Reads one {@link AgentAction} from its JSON form in UTF-8, {@code length} bytes of {@code json}
   * from {@code offset}: what a file's line is before it is decoded into a string, which it need
   * not be. Bytes that are not UTF-8 are a violation like any other.
   */
  public static AgentAction readAction(byte[] json, int offset, int length)
      throws ContractViolationException {
    ChaperoneSchemas.trustGeneratedClasses();
    AgentAction streamed = StreamedJson.action(MAPPER.getFactory(), json, offset, length);
    if (streamed != null) {
      return streamed;
    }
    // not valid, or not in the streamed reader's reach: the tree says exactly what is wrong
    JsonNode tree;
    try {
      tree = MAPPER.readTree(json, offset, length);
    } catch (IOException e) {
      throw notJson(e);
    }
    return fromTree(tree, AgentAction.class);
  }

  /** Reads one {@link AgentRegistration} from its JSON form. */
  public static AgentRegistration readRegistration(String json) throws ContractViolationException {
    return read(json, AgentRegistration.class);
  }

  /** Reads any record of the contract from its JSON form. */
  public static <T extends SpecificRecord> T read(String json, Class<T> type)
      throws ContractViolationException {
    JsonNode tree;
    try {
      tree = MAPPER.readTree(json);
    } catch (JsonProcessingException e) {
      throw notJson(e);
    }
    return fromTree(tree, type);
  }

  private static ContractViolationException notJson(IOException e) {
    if (e instanceof JsonProcessingException json && json.getLocation() != null) {
      return new ContractViolationException(
          "",
          "not valid JSON at line "
              + json.getLocation().getLineNr()
              + ", column "
              + json.getLocation().getColumnNr()
              + ": "
              + json.getOriginalMessage());
    }
    return new ContractViolationException("", "not valid JSON: " + e.getMessage());
  }

  /** Converts an already parsed JSON tree. */
  public static <T extends SpecificRecord> T fromTree(JsonNode tree, Class<T> type)
      throws ContractViolationException {
    ChaperoneSchemas.trustGeneratedClasses();
    if (tree == null || tree.isMissingNode()) {
      throw new ContractViolationException("", "empty document");
    }
    Object value = convert(tree, ChaperoneSchemas.schemaOf(type), "");
    return type.cast(value);
  }

  /** Writes a record of the contract in its JSON form, on one line. */
  public static String write(SpecificRecord record) {
    try {
      return MAPPER.writeValueAsString(toTree(record));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(
          "cannot render " + record.getSchema().getName() + " as JSON", e);
    }
  }

  /** Writes a record of the contract as a JSON tree. */
  public static ObjectNode toTree(IndexedRecord record) {
    return (ObjectNode) render(record, record.getSchema());
  }

  // ---- reading ----

  private static Object convert(JsonNode node, Schema schema, String path)
      throws ContractViolationException {
    switch (schema.getType()) {
      case RECORD:
        return record(node, schema, path);
      case UNION:
        return union(node, schema, path);
      case STRING:
        if (!node.isTextual()) {
          throw new ContractViolationException(path, "expected a string, found " + describe(node));
        }
        return node.textValue();
      case LONG:
        if (isTimestamp(schema)) {
          return timestamp(node, path);
        }
        if (!node.canConvertToLong() || !node.isIntegralNumber()) {
          throw new ContractViolationException(
              path, "expected a whole number, found " + describe(node));
        }
        return node.longValue();
      case INT:
        if (!node.isIntegralNumber() || !node.canConvertToInt()) {
          throw new ContractViolationException(
              path, "expected a 32-bit whole number, found " + describe(node));
        }
        return node.intValue();
      case DOUBLE:
      case FLOAT:
        if (!node.isNumber()) {
          throw new ContractViolationException(path, "expected a number, found " + describe(node));
        }
        double d = node.doubleValue();
        return schema.getType() == Schema.Type.FLOAT ? (Object) (float) d : (Object) d;
      case BOOLEAN:
        if (!node.isBoolean()) {
          throw new ContractViolationException(
              path, "expected true or false, found " + describe(node));
        }
        return node.booleanValue();
      case BYTES:
        if (!node.isTextual()) {
          throw new ContractViolationException(
              path, "expected base64 text, found " + describe(node));
        }
        try {
          return ByteBuffer.wrap(Base64.getDecoder().decode(node.textValue()));
        } catch (IllegalArgumentException e) {
          throw new ContractViolationException(path, "not valid base64");
        }
      case ENUM:
        return enumSymbol(node, schema, path);
      case ARRAY:
        return array(node, schema, path);
      case MAP:
        return map(node, schema, path);
      case NULL:
        if (!node.isNull()) {
          throw new ContractViolationException(path, "expected null, found " + describe(node));
        }
        return null;
      default:
        throw new ContractViolationException(path, "unsupported schema type " + schema.getType());
    }
  }

  private static Object record(JsonNode node, Schema schema, String path)
      throws ContractViolationException {
    if (!node.isObject()) {
      throw new ContractViolationException(
          path, "expected an object (" + schema.getName() + "), found " + describe(node));
    }
    for (Iterator<String> names = node.fieldNames(); names.hasNext(); ) {
      String name = names.next();
      if (schema.getField(name) == null) {
        throw new ContractViolationException(
            child(path, name), "unknown field of " + schema.getName());
      }
    }
    IndexedRecord record = (IndexedRecord) SPECIFIC.newRecord(null, schema);
    for (Schema.Field field : schema.getFields()) {
      JsonNode value = node.get(field.name());
      String fieldPath = child(path, field.name());
      if (value == null) {
        if (!field.hasDefaultValue()) {
          throw new ContractViolationException(fieldPath, "missing required field");
        }
        record.put(field.pos(), SPECIFIC.deepCopy(field.schema(), SPECIFIC.getDefaultValue(field)));
      } else {
        record.put(field.pos(), convert(value, field.schema(), fieldPath));
      }
    }
    return record;
  }

  private static Object union(JsonNode node, Schema schema, String path)
      throws ContractViolationException {
    List<Schema> branches = schema.getTypes();
    if (node.isNull()) {
      for (Schema branch : branches) {
        if (branch.getType() == Schema.Type.NULL) {
          return null;
        }
      }
      throw new ContractViolationException(path, "must not be null");
    }
    ContractViolationException first = null;
    for (Schema branch : branches) {
      if (branch.getType() == Schema.Type.NULL) {
        continue;
      }
      try {
        return convert(node, branch, path);
      } catch (ContractViolationException e) {
        if (first == null) {
          first = e;
        }
      }
    }
    throw first != null
        ? first
        : new ContractViolationException(path, "no branch of the union accepts " + describe(node));
  }

  private static Object enumSymbol(JsonNode node, Schema schema, String path)
      throws ContractViolationException {
    if (!node.isTextual()) {
      throw new ContractViolationException(
          path, "expected one of " + schema.getEnumSymbols() + ", found " + describe(node));
    }
    String symbol = node.textValue();
    if (!schema.hasEnumSymbol(symbol)) {
      if (schema.getEnumDefault() != null) {
        symbol = schema.getEnumDefault();
      } else {
        throw new ContractViolationException(
            path,
            "unknown symbol \""
                + symbol
                + "\" (expected one of "
                + String.join(", ", schema.getEnumSymbols())
                + ")");
      }
    }
    return SPECIFIC.createEnum(symbol, schema);
  }

  private static Object array(JsonNode node, Schema schema, String path)
      throws ContractViolationException {
    if (!node.isArray()) {
      throw new ContractViolationException(path, "expected an array, found " + describe(node));
    }
    List<Object> items = new ArrayList<>(node.size());
    for (int i = 0; i < node.size(); i++) {
      items.add(convert(node.get(i), schema.getElementType(), path + "[" + i + "]"));
    }
    return items;
  }

  private static Object map(JsonNode node, Schema schema, String path)
      throws ContractViolationException {
    if (!node.isObject()) {
      throw new ContractViolationException(path, "expected an object, found " + describe(node));
    }
    Map<String, Object> entries = new LinkedHashMap<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> entry = it.next();
      entries.put(
          entry.getKey(),
          convert(entry.getValue(), schema.getValueType(), child(path, entry.getKey())));
    }
    return entries;
  }

  private static Instant timestamp(JsonNode node, String path) throws ContractViolationException {
    if (node.isIntegralNumber() && node.canConvertToLong()) {
      return Instant.ofEpochMilli(node.longValue());
    }
    if (node.isTextual()) {
      String text = node.textValue();
      Instant parsed = instant(text);
      if (parsed == null) {
        throw new ContractViolationException(
            path,
            "not a timestamp: \""
                + abbreviate(text)
                + "\" (expected ISO-8601 such as 2026-11-02T09:15:00Z, or epoch milliseconds)");
      }
      return parsed;
    }
    throw new ContractViolationException(
        path,
        "expected a timestamp (ISO-8601 text or epoch milliseconds), found " + describe(node));
  }

  /**
   * ISO-8601 text as an instant: UTC, then any form {@link Instant} or an offset reads; or null.
   */
  static Instant instant(String text) {
    Instant utc = IsoInstants.parseUtc(text);
    if (utc != null) {
      return utc;
    }
    try {
      return Instant.parse(text);
    } catch (DateTimeParseException e) {
      try {
        return OffsetDateTime.parse(text).toInstant();
      } catch (DateTimeParseException e2) {
        return null;
      }
    }
  }

  static boolean isTimestamp(Schema schema) {
    LogicalType type = schema.getLogicalType();
    return type instanceof LogicalTypes.TimestampMillis;
  }

  private static String child(String path, String name) {
    return path.isEmpty() ? name : path + "." + name;
  }

  private static String describe(JsonNode node) {
    return switch (node.getNodeType()) {
      case STRING -> "text \"" + abbreviate(node.textValue()) + "\"";
      case NUMBER -> "number " + node.asText();
      case BOOLEAN -> node.asText();
      case NULL -> "null";
      case ARRAY -> "an array";
      case OBJECT -> "an object";
      default -> node.getNodeType().toString().toLowerCase(java.util.Locale.ROOT);
    };
  }

  private static String abbreviate(String text) {
    return text.length() <= 60 ? text : text.substring(0, 57) + "...";
  }

  // ---- writing ----

  private static JsonNode render(Object value, Schema schema) {
    if (value == null) {
      return NODES.nullNode();
    }
    switch (schema.getType()) {
      case RECORD:
        {
          IndexedRecord record = (IndexedRecord) value;
          ObjectNode out = NODES.objectNode();
          for (Schema.Field field : schema.getFields()) {
            Object fieldValue = record.get(field.pos());
            if (fieldValue == null) {
              continue; // absent optional fields are left out
            }
            out.set(field.name(), render(fieldValue, field.schema()));
          }
          return out;
        }
      case UNION:
        {
          int branch = SPECIFIC.resolveUnion(schema, value);
          return render(value, schema.getTypes().get(branch));
        }
      case ARRAY:
        {
          ArrayNode out = NODES.arrayNode();
          for (Object item : (Iterable<?>) value) {
            out.add(render(item, schema.getElementType()));
          }
          return out;
        }
      case MAP:
        {
          ObjectNode out = NODES.objectNode();
          for (Map.Entry<?, ?> entry : ((Map<?, ?>) value).entrySet()) {
            out.set(entry.getKey().toString(), render(entry.getValue(), schema.getValueType()));
          }
          return out;
        }
      case ENUM:
        return NODES.textNode(
            value instanceof GenericEnumSymbol<?> || value instanceof Enum<?>
                ? value.toString()
                : String.valueOf(value));
      case LONG:
        if (value instanceof Instant instant) {
          return NODES.textNode(IsoInstants.format(instant));
        }
        return NODES.numberNode(((Number) value).longValue());
      case INT:
        return NODES.numberNode(((Number) value).intValue());
      case DOUBLE:
        return NODES.numberNode(((Number) value).doubleValue());
      case FLOAT:
        return NODES.numberNode(((Number) value).floatValue());
      case BOOLEAN:
        return NODES.booleanNode((Boolean) value);
      case BYTES:
        {
          ByteBuffer buffer = ((ByteBuffer) value).duplicate();
          byte[] bytes = new byte[buffer.remaining()];
          buffer.get(bytes);
          return NODES.textNode(Base64.getEncoder().encodeToString(bytes));
        }
      case STRING:
        return NODES.textNode(value.toString());
      default:
        if (value instanceof GenericContainer) {
          return NODES.textNode(value.toString());
        }
        return NODES.textNode(String.valueOf(value));
    }
  }
}
