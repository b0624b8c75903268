package dev.chaperone.streams.processor;

import dev.chaperone.schema.AgentAction;
import dev.chaperone.streams.serde.AvroSerde;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

/**
 * Serde of the internal credential-uses repartition topic: a 2-byte length, the credential key in
 * UTF-8, then the action in Avro single-object encoding. Null maps to null.
 */
public final class CredentialUseSerde implements Serde<CredentialUse> {

  @Override
  public Serializer<CredentialUse> serializer() {
    Serializer<AgentAction> actions = AvroSerde.forValues(AgentAction.class, null).serializer();
    return (topic, use) -> {
      if (use == null) {
        return null;
      }
      byte[] key = use.credential().getBytes(StandardCharsets.UTF_8);
      if (key.length > 0xFFFF) {
        throw new SerializationException("credential key of " + key.length + " bytes is too long");
      }
      byte[] action = actions.serialize(topic, use.action());
      return ByteBuffer.allocate(2 + key.length + action.length)
          .putShort((short) key.length)
          .put(key)
          .put(action)
          .array();
    };
  }

  @Override
  public Deserializer<CredentialUse> deserializer() {
    Deserializer<AgentAction> actions = AvroSerde.forValues(AgentAction.class, null).deserializer();
    return (topic, data) -> {
      if (data == null) {
        return null;
      }
      if (data.length < 2) {
        throw new SerializationException("truncated credential use: " + data.length + " bytes");
      }
      ByteBuffer buffer = ByteBuffer.wrap(data);
      int length = buffer.getShort() & 0xFFFF;
      if (data.length < 2 + length) {
        throw new SerializationException(
            "truncated credential use: key of " + length + " bytes in " + data.length);
      }
      String key = new String(data, 2, length, StandardCharsets.UTF_8);
      byte[] action = new byte[data.length - 2 - length];
      System.arraycopy(data, 2 + length, action, 0, action.length);
      return new CredentialUse(key, actions.deserialize(topic, action));
    };
  }
}
