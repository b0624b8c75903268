/** The observed-fleet inventory: what each agent's traffic says about it. */
package dev.chaperone.streams.fleet;
