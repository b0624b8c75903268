package dev.chaperone.streams.registry;

/**
 * A schema registry call failed. Carries the registry's own error code (e.g. {@code 40403} schema
 * not found, {@code 409} incompatible, {@code 42201} invalid schema) where it gave one, else the
 * HTTP status, else {@code -1} for a transport failure.
 */
public final class SchemaRegistryException extends RuntimeException {

  /** Confluent error code: subject not found. */
  public static final int SUBJECT_NOT_FOUND = 40401;

  /** Confluent error code: schema not found. */
  public static final int SCHEMA_NOT_FOUND = 40403;

  /** Confluent error code (and HTTP status): schema incompatible with the subject's history. */
  public static final int INCOMPATIBLE_SCHEMA = 409;

  /** Confluent error code: invalid schema. */
  public static final int INVALID_SCHEMA = 42201;

  private final int errorCode;

  public SchemaRegistryException(int errorCode, String message) {
    super(message);
    this.errorCode = errorCode;
  }

  public SchemaRegistryException(int errorCode, String message, Throwable cause) {
    super(message, cause);
    this.errorCode = errorCode;
  }

  /** The registry's error code, the HTTP status if it gave none, or -1 for a transport failure. */
  public int errorCode() {
    return errorCode;
  }

  /** True when the registry said the schema or subject does not exist. */
  public boolean isNotFound() {
    return errorCode == SCHEMA_NOT_FOUND || errorCode == SUBJECT_NOT_FOUND || errorCode == 404;
  }

  /** True when a retry might succeed: a 5xx answer or a transport failure. */
  public boolean isRetriable() {
    return errorCode == -1 || (errorCode >= 500 && errorCode < 600) || (errorCode >= 50000);
  }
}
