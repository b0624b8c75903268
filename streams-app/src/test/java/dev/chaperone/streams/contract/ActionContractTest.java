package dev.chaperone.streams.contract;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.chaperone.schema.AgentAction;
import dev.chaperone.schema.Credential;
import dev.chaperone.schema.DelegationHop;
import dev.chaperone.streams.sim.SampleFleet;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ActionContractTest {

  private static final Instant START = Instant.parse("2026-10-01T00:00:00Z");
  private static final long NOW = START.plusSeconds(86_400).toEpochMilli();
  private static final String TOO_LONG = "x".repeat(ActionContract.MAX_STRING_CHARS + 1);

  private final ActionContract contract = new ActionContract(600_000);
  private final AgentAction valid = new SampleFleet(3, 1, START).actions(1).get(0);

  @Test
  void shouldAcceptAWellFormedAction() throws ContractViolationException {
    contract.validate(valid, NOW);
  }

  @Test
  void shouldNameTheHopAndFieldThatBreakTheContract() {
    assertEquals("delegation[1].principal", violation(hop(1, h -> h.setPrincipal(" "))));
    assertEquals("delegation[0].grantId", violation(hop(0, h -> h.setGrantId(TOO_LONG))));
    assertEquals(
        "delegation[1].scopes[2]",
        violation(hop(1, h -> h.setScopes(List.of("a", "b", TOO_LONG)))));
    assertEquals(
        "delegation[0].scopes",
        violation(hop(0, h -> h.setScopes(java.util.Collections.nCopies(257, "s")))));
    assertEquals(
        "credential.scopes[1]",
        violation(
            AgentAction.newBuilder(valid)
                .setCredential(
                    Credential.newBuilder(valid.getCredential())
                        .setScopes(List.of("read:x", TOO_LONG))
                        .build())
                .build()));
  }

  private AgentAction hop(int index, java.util.function.Consumer<DelegationHop.Builder> change) {
    List<DelegationHop> chain = new ArrayList<>(valid.getDelegation());
    while (chain.size() < 2) {
      chain.add(chain.get(chain.size() - 1));
    }
    DelegationHop.Builder hop = DelegationHop.newBuilder(chain.get(index));
    change.accept(hop);
    chain.set(index, hop.build());
    return AgentAction.newBuilder(valid).setDelegation(chain).build();
  }

  private String violation(AgentAction action) {
    return assertThrows(ContractViolationException.class, () -> contract.validate(action, NOW))
        .path();
  }
}
