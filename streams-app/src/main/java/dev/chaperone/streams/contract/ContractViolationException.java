package dev.chaperone.streams.contract;

/**
 * A document or record does not meet the event contract. The message is {@code path: reason}, e.g.
 * {@code delegation[2].principalType: unknown symbol "ROBOT"}, fit to show a human as it is.
 */
public final class ContractViolationException extends Exception {

  private final String path;
  private final String reason;

  public ContractViolationException(String path, String reason) {
    super(path == null || path.isEmpty() ? reason : path + ": " + reason);
    this.path = path == null ? "" : path;
    this.reason = reason;
  }

  /** Where in the document: {@code credential.scopes[1]}; empty for the whole document. */
  public String path() {
    return path;
  }

  /** What is wrong there. */
  public String reason() {
    return reason;
  }
}
