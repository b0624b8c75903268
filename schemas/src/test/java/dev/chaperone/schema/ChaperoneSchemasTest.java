package dev.chaperone.schema;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.avro.util.ClassSecurityValidator;
import org.junit.jupiter.api.Test;

class ChaperoneSchemasTest {

  @Test
  void shouldTrustTheGeneratedClassesWithoutSystemProperties() throws IOException {
    // Given no -Dorg.apache.avro.SERIALIZABLE_* flag on this JVM
    assertEquals(null, System.getProperty("org.apache.avro.SERIALIZABLE_CLASSES"));

    // When the contract declares its classes
    ChaperoneSchemas.trustGeneratedClasses();
    ChaperoneSchemas.trustGeneratedClasses();

    // Then Avro trusts them and a specific reader decodes an action
    assertTrue(ClassSecurityValidator.getGlobal().isTrusted(AgentAction.class));
    assertTrue(ClassSecurityValidator.getGlobal().isTrusted(DelegationHop.class));
    AgentAction action = SchemaEvolutionTest.sampleAction();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(out, null);
    new SpecificDatumWriter<>(AgentAction.class).write(action, encoder);
    encoder.flush();
    AgentAction read =
        new SpecificDatumReader<>(AgentAction.class)
            .read(null, DecoderFactory.get().binaryDecoder(out.toByteArray(), null));
    assertEquals(action, read);
  }

  @Test
  void shouldListEveryTopLevelRecordByName() {
    var byName = ChaperoneSchemas.schemasByName();

    assertEquals(7, byName.size());
    assertTrue(byName.containsKey("dev.chaperone.schema.AgentAction"));
    assertTrue(byName.containsKey("dev.chaperone.schema.DeadLetter"));
  }
}
