package dev.chaperone.streams.processor;

import java.util.Map;

/**
 * The score of one event, for backtesting ({@code chaperone replay}) and the optional scores topic:
 * its ids, event time, event and session scores in σ, whether the agent was warming up, and its
 * most deviant signals with their σ.
 */
public record EventScore(
    String eventId,
    String agentId,
    String sessionId,
    long occurredAt,
    double eventScore,
    double sessionScore,
    boolean warmup,
    String state,
    Map<String, Double> topSignals) {}
