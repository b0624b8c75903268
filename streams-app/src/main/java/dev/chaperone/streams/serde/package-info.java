/**
 * Serdes of Chaperone's topics: the Avro wire formats (Confluent framing, single-object encoding).
 */
package dev.chaperone.streams.serde;
