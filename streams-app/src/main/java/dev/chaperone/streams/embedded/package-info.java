/** A real Kafka broker in-process, for the demo and the integration tests. */
package dev.chaperone.streams.embedded;
