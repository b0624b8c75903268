package dev.chaperone.streams.registry;

import java.io.Closeable;
import org.apache.avro.Schema;

/**
 * The little of a Confluent-compatible schema registry that Chaperone needs: register a schema
 * under a subject and look one up by id. Implementations cache both ways and are thread-safe.
 *
 * <p>Use {@link SchemaRegistries#forUrl} to get one: {@code mock://scope} gives an in-process
 * registry, {@code http(s)://…} a REST client.
 */
public interface SchemaRegistry extends Closeable {

  /**
   * Registers {@code schema} under {@code subject} (or finds it already registered) and returns its
   * global id.
   *
   * @throws SchemaRegistryException when the registry refuses the schema or cannot be reached
   */
  int register(String subject, Schema schema);

  /**
   * Returns the schema with this global id.
   *
   * @throws SchemaRegistryException with {@link SchemaRegistryException#isNotFound()} true when the
   *     id is unknown
   */
  Schema schemaById(int id);

  @Override
  default void close() {}
}
