package dev.chaperone.schema;

import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.apache.avro.Schema;
import org.apache.avro.specific.SpecificRecord;
import org.apache.avro.util.ClassSecurityValidator;

/**
 * The catalogue of Chaperone's top-level Avro records: the classes a topic may carry and their
 * schemas.
 *
 * <p>Avro 1.12.2 refuses to load a generated class by name unless it is trusted ({@code
 * ClassSecurityValidator}); by default that takes a {@code -Dorg.apache.avro.SERIALIZABLE_CLASSES}
 * system property. {@link #trustGeneratedClasses()} declares exactly the generated classes of this
 * contract instead, so no command-line flag is needed. It is idempotent and thread-safe.
 */
public final class ChaperoneSchemas {

  /** Every top-level record of the event contract. */
  public static final List<Class<? extends SpecificRecord>> RECORD_CLASSES =
      List.of(
          AgentAction.class,
          AgentRegistration.class,
          DetectorConfig.class,
          Alert.class,
          DelegationViolation.class,
          DeadLetter.class,
          AlertFeedback.class);

  /** Every class Avro may have to load by name while reading the contract, nested ones included. */
  private static final List<Class<?>> GENERATED_CLASSES =
      List.of(
          AgentAction.class,
          Output.class,
          Approval.class,
          Credential.class,
          DelegationHop.class,
          AgentRegistration.class,
          DetectorConfig.class,
          Alert.class,
          SignalExplanation.class,
          DelegationViolation.class,
          DeadLetter.class,
          AlertFeedback.class,
          ActionType.class,
          PrincipalType.class,
          Severity.class,
          Outcome.class,
          AgentStatus.class,
          DetectorMode.class,
          Verdict.class);

  private static volatile boolean trusted;

  private ChaperoneSchemas() {}

  /** The schema of each top-level record, by full name. */
  public static Map<String, Schema> schemasByName() {
    return RECORD_CLASSES.stream()
        .map(ChaperoneSchemas::schemaOf)
        .collect(Collectors.toUnmodifiableMap(Schema::getFullName, Function.identity()));
  }

  /** The schema of a generated record class. */
  public static Schema schemaOf(Class<? extends SpecificRecord> type) {
    try {
      return (Schema) type.getField("SCHEMA$").get(null);
    } catch (ReflectiveOperationException e) {
      throw new IllegalArgumentException(type.getName() + " is not an Avro generated record", e);
    }
  }

  /**
   * Adds this contract's generated classes to Avro's global class trust, keeping whatever was
   * trusted before. Safe to call any number of times from any thread.
   */
  public static void trustGeneratedClasses() {
    if (trusted) {
      return;
    }
    synchronized (ChaperoneSchemas.class) {
      if (trusted) {
        return;
      }
      ClassSecurityValidator.Builder ours = ClassSecurityValidator.builder();
      GENERATED_CLASSES.forEach(ours::add);
      ClassSecurityValidator.setGlobal(
          ClassSecurityValidator.composite(ClassSecurityValidator.getGlobal(), ours.build()));
      trusted = true;
    }
  }
}
