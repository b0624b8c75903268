/** State stores of the topology that Kafka Streams does not provide: the baseline cache. */
package dev.chaperone.streams.state;
