package dev.chaperone.baseline;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The baseline's hot paths on one thread: score+learn one event on a warm in-memory baseline, and
 * on each of a fleet's baselines in turn; encode+decode of a typical baseline. Run with {@code
 * ./mvnw -pl baseline-model -Pbench verify}. Targets: ≥ 1,000,000 events/s score+learn; ≤ 20 µs
 * encode+decode.
 */
@State(Scope.Thread)
@Fork(
    value = 1,
    jvmArgsAppend = {"-Xmx1g"})
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class BaselineBenchmark {

  private Baseline warm;
  private Observation[] events;
  private int next;
  private long offset;
  private Baseline typical;
  private byte[] typicalBytes;

  @Setup(Level.Trial)
  public void setUp() {
    BaselineConfig config = BaselineConfig.defaults();
    warm = SyntheticAgent.trained(42, 30, config);
    events = weekAfterTraining(42);

    SyntheticAgent typicalAgent = new SyntheticAgent(5, 12, 25);
    typical = new Baseline(config);
    int n = 0;
    for (int d = 0; d < 30; d++) {
      for (Observation o : typicalAgent.day(d)) {
        typical.accept("e-" + (n++), o);
      }
    }
    typicalBytes = BaselineCodec.encode(typical);
  }

  /** The seven days of the agent of {@code seed} after the 30 it was trained on. */
  static Observation[] weekAfterTraining(long seed) {
    SyntheticAgent agent = new SyntheticAgent(seed);
    List<Observation> later = new ArrayList<>();
    for (int d = 0; d < 37; d++) {
      List<Observation> day = agent.day(d);
      if (d >= 30) {
        later.addAll(day);
      }
    }
    return later.toArray(new Observation[0]);
  }

  /** One event scored against the warm baseline, then learned. */
  @Benchmark
  @BenchmarkMode(Mode.Throughput)
  @OutputTimeUnit(TimeUnit.SECONDS)
  public double scoreAndLearn() {
    // Seven days of the same process, replayed a week later on every pass: time only moves on.
    Observation o = events[next];
    if (offset != 0) {
      o = o.at(o.timestampMs() + offset);
    }
    if (++next == events.length) {
      next = 0;
      offset += 7 * 86_400_000L;
    }
    Assessment a = warm.assess(o);
    warm.learn(a);
    return a.eventScore();
  }

  /**
   * A fleet's baselines scored and learned in turn, one event of each agent after another: as the
   * detector meets them, where an agent's state has left the CPU's caches by its next event. Beside
   * {@link #scoreAndLearn} (one agent, always cached), the difference is what memory costs.
   */
  @State(Scope.Thread)
  public static class Fleet {
    @Param({"1200"})
    int agents;

    Baseline[] baselines;
    Observation[][] events;
    int agent;
    int next;
    long offset;

    @Setup(Level.Trial)
    public void setUp() {
      BaselineConfig config = BaselineConfig.defaults();
      baselines = new Baseline[agents];
      events = new Observation[agents][];
      int shortest = Integer.MAX_VALUE;
      for (int i = 0; i < agents; i++) {
        baselines[i] = SyntheticAgent.trained(1_000 + i, 30, config);
        events[i] = weekAfterTraining(1_000 + i);
        shortest = Math.min(shortest, events[i].length);
      }
      for (int i = 0; i < agents; i++) {
        events[i] = java.util.Arrays.copyOf(events[i], shortest);
      }
    }
  }

  /** One event of the next agent of {@link Fleet}, scored and learned. */
  @Benchmark
  @BenchmarkMode(Mode.Throughput)
  @OutputTimeUnit(TimeUnit.SECONDS)
  public double scoreAndLearnFleet(Fleet fleet) {
    Observation o = fleet.events[fleet.agent][fleet.next];
    if (fleet.offset != 0) {
      o = o.at(o.timestampMs() + fleet.offset);
    }
    Baseline baseline = fleet.baselines[fleet.agent];
    if (++fleet.agent == fleet.agents) {
      fleet.agent = 0;
      if (++fleet.next == fleet.events[0].length) {
        fleet.next = 0;
        fleet.offset += 7 * 86_400_000L;
      }
    }
    Assessment a = baseline.assess(o);
    baseline.learn(a);
    return a.eventScore();
  }

  /** A typical baseline (about 15 KiB) encoded and decoded again. */
  @Benchmark
  @BenchmarkMode(Mode.AverageTime)
  @OutputTimeUnit(TimeUnit.MICROSECONDS)
  public Baseline encodeDecode() {
    return BaselineCodec.decode(BaselineCodec.encode(typical), BaselineConfig.defaults());
  }

  /** Encoding alone, as a write-back costs. */
  @Benchmark
  @BenchmarkMode(Mode.AverageTime)
  @OutputTimeUnit(TimeUnit.MICROSECONDS)
  public byte[] encode() {
    return BaselineCodec.encode(typical);
  }

  /** Decoding alone, as a cache miss costs. */
  @Benchmark
  @BenchmarkMode(Mode.AverageTime)
  @OutputTimeUnit(TimeUnit.MICROSECONDS)
  public Baseline decode() {
    return BaselineCodec.decode(typicalBytes, BaselineConfig.defaults());
  }
}
