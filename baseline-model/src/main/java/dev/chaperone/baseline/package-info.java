/**
 * The behavioural baseline model: per-agent rolling baselines ({@link
 * dev.chaperone.baseline.Baseline}), their scores ({@link dev.chaperone.baseline.Assessment},
 * {@link dev.chaperone.baseline.SignalScore}) and their binary form ({@link
 * dev.chaperone.baseline.BaselineCodec}). Pure Java and Commons Math: no Kafka.
 */
package dev.chaperone.baseline;
