/** Chaperone's Micrometer meters. */
package dev.chaperone.streams.metrics;
