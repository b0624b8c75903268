/**
 * Chaperone's event contract: the Avro records generated from {@code src/main/avro} (the actions
 * agents publish, the registry, detector config, alerts, delegation violations, dead letters and
 * analyst feedback) and {@link dev.chaperone.schema.ChaperoneSchemas}, their catalogue.
 */
package dev.chaperone.schema;
