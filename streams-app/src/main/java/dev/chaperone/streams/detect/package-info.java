/**
 * The detection rules of gaps 1, 2 and 4 as plain functions of an action and what is known about
 * its agent (registry, credential and delegation checks), and the layered detector config.
 */
package dev.chaperone.streams.detect;
