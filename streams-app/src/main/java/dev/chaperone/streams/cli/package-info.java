/** The {@code chaperone} command line (picocli) and its printing layer. */
package dev.chaperone.streams.cli;
