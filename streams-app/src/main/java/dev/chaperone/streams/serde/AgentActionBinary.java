package dev.chaperone.streams.serde;

import dev.chaperone.schema.ActionType;
import dev.chaperone.schema.AgentAction;
import dev.chaperone.schema.Approval;
import dev.chaperone.schema.Credential;
import dev.chaperone.schema.DelegationHop;
import dev.chaperone.schema.Outcome;
import dev.chaperone.schema.Output;
import dev.chaperone.schema.PrincipalType;
import java.io.IOException;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.avro.AvroRuntimeException;
import org.apache.avro.Schema;
import org.apache.avro.SchemaNormalization;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.io.BinaryEncoder;

/**
 * {@code AgentAction}'s Avro binary encoding written out field by field: what Avro's generic reader
 * and writer do for this one schema, without their per-field lookups and interface calls (its
 * generated class has no custom coders, since the schema has logical types). Every action Chaperone
 * takes in is decoded once, straight from the record's bytes ({@link BinaryInput}), and every first
 * use of a credential encodes one again.
 *
 * <p>It knows the layout of one schema, {@link #FINGERPRINT}: {@link AvroSerde} uses it only for a
 * writer schema with that parsing fingerprint (the binary layout is all the fingerprint covers) and
 * only while this build's {@code AgentAction} has it too, so a changed schema falls back to Avro
 * until this class is brought along ({@code AgentActionBinaryTest} fails meanwhile). The results
 * are Avro's, value for value and byte for byte, down to the collection classes; for input it
 * cannot read, or a value it cannot write, the caller asks Avro again, whose error then stands
 * ({@code AgentActionBinaryTest} holds both to that over fleets, attacks, edge values and corrupt
 * bytes).
 */
final class AgentActionBinary implements AvroSerde.DirectCodec<AgentAction> {

  /** The parsing fingerprint of the {@code AgentAction} schema whose layout this class follows. */
  static final long FINGERPRINT = 0x1517B9A59DF13DD2L;

  private static final ActionType[] ACTION_TYPES = ActionType.values();
  private static final Outcome[] OUTCOMES = Outcome.values();
  private static final PrincipalType[] PRINCIPAL_TYPES = PrincipalType.values();
  private static final Schema SCOPES = Credential.getClassSchema().getField("scopes").schema();
  private static final Schema HOP_SCOPES =
      DelegationHop.getClassSchema().getField("scopes").schema();
  private static final Schema HOPS = AgentAction.getClassSchema().getField("delegation").schema();

  static final AgentActionBinary INSTANCE = new AgentActionBinary();

  private AgentActionBinary() {}

  /** Whether {@code schema} has the layout this class follows. */
  static boolean matches(Schema schema) {
    return SchemaNormalization.parsingFingerprint64(schema) == FINGERPRINT;
  }

  @Override
  public AgentAction read(BinaryInput in) throws IOException {
    String eventId = in.readString();
    Instant occurredAt = Instant.ofEpochMilli(in.readLong());
    String agentId = in.readString();
    String agentVersion = optionalString(in);
    String sessionId = optionalString(in);
    String requestRef = optionalString(in);
    ActionType actionType = ACTION_TYPES[symbol(in, ACTION_TYPES.length)];
    String tool = in.readString();
    String operation = optionalString(in);
    String resource = optionalString(in);
    Outcome outcome = OUTCOMES[symbol(in, OUTCOMES.length)];
    Output output = present(in) ? readOutput(in) : null;
    Approval approval =
        present(in) ? new Approval(in.readString(), Instant.ofEpochMilli(in.readLong())) : null;
    Credential credential = present(in) ? readCredential(in) : null;
    List<DelegationHop> delegation = readHops(in);
    Map<String, String> attributes = readAttributes(in);
    return new AgentAction(
        eventId,
        occurredAt,
        agentId,
        agentVersion,
        sessionId,
        requestRef,
        actionType,
        tool,
        operation,
        resource,
        outcome,
        output,
        approval,
        credential,
        delegation,
        attributes);
  }

  private static Output readOutput(BinaryInput in) throws IOException {
    String channel = optionalString(in);
    String audience = optionalString(in);
    String contentClass = optionalString(in);
    Long sizeBytes = present(in) ? in.readLong() : null;
    return new Output(channel, audience, contentClass, sizeBytes);
  }

  private static Credential readCredential(BinaryInput in) throws IOException {
    String tokenId = in.readString();
    String subject = optionalString(in);
    Instant issuedAt = optionalInstant(in);
    Instant expiresAt = optionalInstant(in);
    List<String> scopes = readStrings(in, SCOPES);
    String sessionId = optionalString(in);
    String taskId = optionalString(in);
    return new Credential(tokenId, subject, issuedAt, expiresAt, scopes, sessionId, taskId);
  }

  private static List<DelegationHop> readHops(BinaryInput in) throws IOException {
    long count = in.readCollectionStart();
    List<DelegationHop> hops =
        new GenericData.Array<>(GenericDatumReader.initialCollectionCapacity(count), HOPS);
    while (count > 0) {
      for (long i = 0; i < count; i++) {
        String principal = in.readString();
        PrincipalType type = PRINCIPAL_TYPES[symbol(in, PRINCIPAL_TYPES.length)];
        String delegatedBy = optionalString(in);
        String grantId = optionalString(in);
        List<String> scopes = readStrings(in, HOP_SCOPES);
        String requestRef = optionalString(in);
        Instant issuedAt = Instant.ofEpochMilli(in.readLong());
        Instant expiresAt = optionalInstant(in);
        hops.add(
            new DelegationHop(
                principal, type, delegatedBy, grantId, scopes, requestRef, issuedAt, expiresAt));
      }
      count = in.readCollectionNext(hops.size());
    }
    return hops;
  }

  /** An array of strings, as Avro reads it for a field of {@code schema}. */
  private static List<String> readStrings(BinaryInput in, Schema schema) throws IOException {
    long count = in.readCollectionStart();
    List<String> strings =
        new GenericData.Array<>(GenericDatumReader.initialCollectionCapacity(count), schema);
    while (count > 0) {
      for (long i = 0; i < count; i++) {
        strings.add(in.readString());
      }
      count = in.readCollectionNext(strings.size());
    }
    return strings;
  }

  private static Map<String, String> readAttributes(BinaryInput in) throws IOException {
    long count = in.readCollectionStart();
    Map<String, String> map = new HashMap<>();
    long read = 0;
    while (count > 0) {
      for (long i = 0; i < count; i++) {
        String key = in.readString();
        map.put(key, in.readString());
      }
      read += count;
      count = in.readCollectionNext(read);
    }
    return map;
  }

  /** Reads a {@code ["null", X]} union's branch: whether an X follows. */
  private static boolean present(BinaryInput in) throws IOException {
    int branch = in.readIndex();
    if (branch == 1) {
      return true;
    }
    if (branch != 0) {
      throw new AvroRuntimeException("union branch out of range: " + branch);
    }
    return false;
  }

  private static String optionalString(BinaryInput in) throws IOException {
    return present(in) ? in.readString() : null;
  }

  private static Instant optionalInstant(BinaryInput in) throws IOException {
    return present(in) ? Instant.ofEpochMilli(in.readLong()) : null;
  }

  private static int symbol(BinaryInput in, int symbols) throws IOException {
    int index = in.readEnum();
    if (index < 0 || index >= symbols) {
      throw new AvroRuntimeException("enum symbol out of range: " + index);
    }
    return index;
  }

  @Override
  public void write(AgentAction action, BinaryEncoder out) throws IOException {
    out.writeString(action.getEventId());
    out.writeLong(action.getOccurredAt().toEpochMilli());
    out.writeString(action.getAgentId());
    writeOptional(action.getAgentVersion(), out);
    writeOptional(action.getSessionId(), out);
    writeOptional(action.getRequestRef(), out);
    out.writeEnum(action.getActionType().ordinal());
    out.writeString(action.getTool());
    writeOptional(action.getOperation(), out);
    writeOptional(action.getResource(), out);
    out.writeEnum(action.getOutcome().ordinal());
    Output output = action.getOutput();
    if (present(output, out)) {
      writeOptional(output.getChannel(), out);
      writeOptional(output.getAudience(), out);
      writeOptional(output.getContentClass(), out);
      Long size = output.getSizeBytes();
      if (present(size, out)) {
        out.writeLong(size);
      }
    }
    Approval approval = action.getApproval();
    if (present(approval, out)) {
      out.writeString(approval.getApprovedBy());
      out.writeLong(approval.getApprovedAt().toEpochMilli());
    }
    Credential credential = action.getCredential();
    if (present(credential, out)) {
      out.writeString(credential.getTokenId());
      writeOptional(credential.getSubject(), out);
      writeOptional(credential.getIssuedAt(), out);
      writeOptional(credential.getExpiresAt(), out);
      writeStrings(credential.getScopes(), out);
      writeOptional(credential.getSessionId(), out);
      writeOptional(credential.getTaskId(), out);
    }
    List<DelegationHop> hops = action.getDelegation();
    out.writeArrayStart();
    out.setItemCount(hops.size());
    for (DelegationHop hop : hops) {
      out.startItem();
      out.writeString(hop.getPrincipal());
      out.writeEnum(hop.getPrincipalType().ordinal());
      writeOptional(hop.getDelegatedBy(), out);
      writeOptional(hop.getGrantId(), out);
      writeStrings(hop.getScopes(), out);
      writeOptional(hop.getRequestRef(), out);
      out.writeLong(hop.getIssuedAt().toEpochMilli());
      writeOptional(hop.getExpiresAt(), out);
    }
    out.writeArrayEnd();
    Map<String, String> attributes = action.getAttributes();
    out.writeMapStart();
    out.setItemCount(attributes.size());
    for (Map.Entry<String, String> attribute : attributes.entrySet()) {
      out.startItem();
      out.writeString(attribute.getKey());
      out.writeString(attribute.getValue());
    }
    out.writeMapEnd();
  }

  private static void writeStrings(List<String> strings, BinaryEncoder out) throws IOException {
    out.writeArrayStart();
    out.setItemCount(strings.size());
    for (String string : strings) {
      out.startItem();
      out.writeString(string);
    }
    out.writeArrayEnd();
  }

  /** Writes a {@code ["null", X]} union's branch for {@code value}: whether an X follows. */
  private static boolean present(Object value, BinaryEncoder out) throws IOException {
    out.writeIndex(value == null ? 0 : 1);
    return value != null;
  }

  private static void writeOptional(String value, BinaryEncoder out) throws IOException {
    if (present(value, out)) {
      out.writeString(value);
    }
  }

  private static void writeOptional(Instant value, BinaryEncoder out) throws IOException {
    if (present(value, out)) {
      out.writeLong(value.toEpochMilli());
    }
  }
}
