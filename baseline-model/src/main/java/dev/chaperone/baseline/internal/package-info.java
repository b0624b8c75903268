/**
 * Helpers of the baseline model: primitive maps, key hashing, resource generalisation, varint I/O.
 */
package dev.chaperone.baseline.internal;
