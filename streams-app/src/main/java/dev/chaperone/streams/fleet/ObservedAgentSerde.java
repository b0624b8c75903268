package dev.chaperone.streams.fleet;

import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

/** State-store serde of {@link ObservedAgent}; null maps to null. */
public final class ObservedAgentSerde implements Serde<ObservedAgent> {

  @Override
  public Serializer<ObservedAgent> serializer() {
    return (topic, value) -> value == null ? null : value.encode();
  }

  @Override
  public Deserializer<ObservedAgent> deserializer() {
    return (topic, data) -> {
      if (data == null) {
        return null;
      }
      try {
        return ObservedAgent.decode(data);
      } catch (IllegalArgumentException e) {
        throw new SerializationException(
            "cannot decode observed agent from " + topic + ": " + e.getMessage(), e);
      }
    };
  }
}
