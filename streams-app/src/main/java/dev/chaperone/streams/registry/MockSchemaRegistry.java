package dev.chaperone.streams.registry;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.Schema;

/**
 * An in-process schema registry, selected by {@code mock://<scope>} URLs as Confluent's own serdes
 * do: every serde configured with the same scope in one JVM shares one registry, so a producer and
 * the streams app can talk without a server. For demos and tests; state lives only in memory.
 *
 * <p>Ids are global within a scope and assigned from 1 in registration order; registering the same
 * schema again under any subject returns the same id. Thread-safe.
 */
public final class MockSchemaRegistry implements SchemaRegistry {

  // One registry per scope is the point of mock:// URLs; scopes are dropped explicitly.
  private static final Map<String, MockSchemaRegistry> SCOPES = new ConcurrentHashMap<>();

  private final String scope;
  private final List<Schema> byId = new ArrayList<>();
  private final Map<Schema, Integer> ids = new HashMap<>();
  private final Map<String, List<Integer>> subjects = new HashMap<>();

  private MockSchemaRegistry(String scope) {
    this.scope = scope;
  }

  /** The registry of {@code scope}, created on first use. */
  public static MockSchemaRegistry forScope(String scope) {
    return SCOPES.computeIfAbsent(scope, MockSchemaRegistry::new);
  }

  /** Forgets everything registered under {@code scope}. */
  public static void dropScope(String scope) {
    SCOPES.remove(scope);
  }

  public String scope() {
    return scope;
  }

  @Override
  public synchronized int register(String subject, Schema schema) {
    Integer id = ids.get(schema);
    if (id == null) {
      byId.add(schema);
      id = byId.size();
      ids.put(schema, id);
    }
    List<Integer> versions = subjects.computeIfAbsent(subject, s -> new ArrayList<>());
    if (!versions.contains(id)) {
      versions.add(id);
    }
    return id;
  }

  @Override
  public synchronized Schema schemaById(int id) {
    if (id < 1 || id > byId.size()) {
      throw new SchemaRegistryException(
          SchemaRegistryException.SCHEMA_NOT_FOUND,
          "schema id " + id + " not found in mock://" + scope);
    }
    return byId.get(id - 1);
  }

  /** The ids registered under {@code subject}, oldest first. */
  public synchronized List<Integer> versions(String subject) {
    return List.copyOf(subjects.getOrDefault(subject, List.of()));
  }
}
