/**
 * From findings to alerts: the rule catalogue ({@link dev.chaperone.alerting.Rule}), findings and
 * the construction of {@code Alert} and {@code DelegationViolation} records.
 */
package dev.chaperone.alerting;
