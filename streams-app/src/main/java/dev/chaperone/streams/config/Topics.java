package dev.chaperone.streams.config;

/** Default topic names, processor names and store names: kebab-case constants in one place. */
public final class Topics {

  public static final String AGENT_ACTIONS = "chaperone.agent-actions";
  public static final String AGENT_REGISTRY = "chaperone.agent-registry";
  public static final String CONFIG = "chaperone.config";
  public static final String ALERTS = "chaperone.alerts";
  public static final String DELEGATION_VIOLATIONS = "chaperone.delegation-violations";
  public static final String DEAD_LETTERS = "chaperone.dead-letters";
  public static final String FEEDBACK = "chaperone.feedback";
  public static final String ALERTS_OCSF = "chaperone.alerts.ocsf";
  public static final String ALERTS_ECS = "chaperone.alerts.ecs";
  public static final String SCORES = "chaperone.scores";

  private Topics() {}
}
