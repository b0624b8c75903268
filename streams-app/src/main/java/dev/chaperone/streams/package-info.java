/**
 * Chaperone's Kafka Streams application: the topology ({@link
 * dev.chaperone.streams.ChaperoneTopology}) and its lifecycle ({@link
 * dev.chaperone.streams.ChaperoneApp}).
 */
package dev.chaperone.streams;
