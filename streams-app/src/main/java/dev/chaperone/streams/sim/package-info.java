/** Seeded generators of agent traffic for the demo, the simulator and tests. */
package dev.chaperone.streams.sim;
