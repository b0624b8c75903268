package dev.chaperone.baseline;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The false-alert rate over several seeded stationary agents, dense and sparse: 30 days trained,
 * then 7 more days of the same process. Tolerance: at most 0.1% of all their events alert at the
 * default threshold (4σ). Seeds 101-106 were fixed before the rate was first measured.
 */
class StationaryFalseAlertTest {

  @Test
  void shouldAlertOnAtMostOnePerMilleOfStationaryEvents() {
    int events = 0;
    int alerts = 0;
    List<String> samples = new ArrayList<>();
    long[] seeds = {101, 102, 103, 104, 105, 106};
    for (long seed : seeds) {
      boolean sparse = seed % 2 == 0;
      SyntheticAgent agent = sparse ? new SyntheticAgent(seed, 12, 25) : new SyntheticAgent(seed);
      Baseline baseline = new Baseline(BaselineConfig.defaults());
      int n = 0;
      for (int d = 0; d < 37; d++) {
        for (Observation o : agent.day(d)) {
          Assessment a = baseline.accept("e-" + (n++), o);
          if (d >= 30) {
            events++;
            if (a.isAlert()) {
              alerts++;
              if (samples.size() < 5) {
                samples.add("seed " + seed + ": " + a.summary());
              }
            }
          }
        }
      }
    }
    System.out.printf(
        "stationary x%d agents: %d alerts in %d events (%.3f%%)%n",
        seeds.length, alerts, events, 100.0 * alerts / events);
    samples.forEach(System.out::println);

    assertTrue(alerts <= events / 1000, alerts + " alerts in " + events + " events: " + samples);
  }
}
