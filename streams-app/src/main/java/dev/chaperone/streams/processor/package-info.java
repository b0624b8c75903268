/** Processors of the detection topology and the records they pass between them. */
package dev.chaperone.streams.processor;
