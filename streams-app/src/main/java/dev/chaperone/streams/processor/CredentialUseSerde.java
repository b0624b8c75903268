package dev.chaperone.streams.processor;

import dev.chaperone.schema.AgentAction;
import dev.chaperone.streams.serde.AvroSerde;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

/**
 * Serde of the internal credential-uses repartition topic. Version 2 (written): {@code 0xFFFF}, the
 * credential key and the agent id (each a 2-byte length and UTF-8), the use's time (8 bytes, epoch
 * ms), then the action in Avro single-object encoding. Reading keeps the action's bytes and decodes
 * them only if the sharing check asks for the action, which it does for an alert alone. Version 1,
 * written before (a 2-byte length of at most 12 KiB, the key, the action), is still read, so that
 * an upgrade finds the records left in the topic readable. Null maps to null.
 */
public final class CredentialUseSerde implements Serde<CredentialUse> {

  /** Leads version 2; a version 1 record leads with its key's length, which is far smaller. */
  private static final int V2 = 0xFFFF;

  /** Longest key or agent id written: the contract caps both far below. */
  private static final int MAX_STRING_BYTES = 0xFFFE;

  @Override
  public Serializer<CredentialUse> serializer() {
    Serializer<AgentAction> actions = AvroSerde.forValues(AgentAction.class, null).serializer();
    // The token and the principal of one action are forwarded one after the other: encode once.
    // One serializer serves every stream thread, so the last encoding is kept per thread.
    ThreadLocal<Encoded> last = new ThreadLocal<>();
    return (topic, use) -> {
      if (use == null) {
        return null;
      }
      AgentAction action = use.action();
      Encoded encoded = last.get();
      if (encoded == null || encoded.action() != action) {
        encoded = new Encoded(action, actions.serialize(topic, action));
        last.set(encoded);
      }
      byte[] key = bytes("credential key", use.credential());
      byte[] agent = bytes("agent id", use.agentId());
      return ByteBuffer.allocate(2 + 2 + key.length + 2 + agent.length + 8 + encoded.bytes().length)
          .putShort((short) V2)
          .putShort((short) key.length)
          .put(key)
          .putShort((short) agent.length)
          .put(agent)
          .putLong(use.occurredAtMs())
          .put(encoded.bytes())
          .array();
    };
  }

  private record Encoded(AgentAction action, byte[] bytes) {}

  @Override
  public Deserializer<CredentialUse> deserializer() {
    Deserializer<AgentAction> actions = AvroSerde.forValues(AgentAction.class, null).deserializer();
    return (topic, data) -> {
      if (data == null) {
        return null;
      }
      ByteBuffer in = ByteBuffer.wrap(data);
      int first = unsignedShort(in, "header");
      if (first != V2) {
        String key = string(in, first, "credential key");
        return new CredentialUse(key, actions.deserialize(topic, rest(in)));
      }
      String key = string(in, unsignedShort(in, "credential key length"), "credential key");
      String agent = string(in, unsignedShort(in, "agent id length"), "agent id");
      if (in.remaining() < 8) {
        throw truncated("time", in);
      }
      long at = in.getLong();
      byte[] action = rest(in);
      return new CredentialUse(key, agent, at, () -> actions.deserialize(topic, action));
    };
  }

  private static byte[] bytes(String what, String value) {
    byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
    if (bytes.length > MAX_STRING_BYTES) {
      throw new SerializationException(what + " of " + bytes.length + " bytes is too long");
    }
    return bytes;
  }

  private static int unsignedShort(ByteBuffer in, String what) {
    if (in.remaining() < 2) {
      throw truncated(what, in);
    }
    return in.getShort() & 0xFFFF;
  }

  private static String string(ByteBuffer in, int length, String what) {
    if (in.remaining() < length) {
      throw new SerializationException(
          "truncated credential use: " + what + " of " + length + " bytes in " + in.remaining());
    }
    String value = new String(in.array(), in.position(), length, StandardCharsets.UTF_8);
    in.position(in.position() + length);
    return value;
  }

  private static byte[] rest(ByteBuffer in) {
    return Arrays.copyOfRange(in.array(), in.position(), in.limit());
  }

  private static SerializationException truncated(String what, ByteBuffer in) {
    return new SerializationException(
        "truncated credential use: no room for the " + what + " in " + in.limit() + " bytes");
  }
}
