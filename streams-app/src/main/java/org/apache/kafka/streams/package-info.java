/**
 * Not Chaperone's package but Kafka Streams': it holds only {@link
 * org.apache.kafka.streams.ReplayDriver}, which needs a topology's internal builder as Kafka
 * Streams' own test driver does, and that is reachable from this package alone.
 */
package org.apache.kafka.streams;
