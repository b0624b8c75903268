package dev.chaperone.streams.processor;

import dev.chaperone.streams.metrics.ChaperoneMetrics;
import java.time.Duration;
import java.util.function.LongSupplier;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.ProcessingContext;

/**
 * Commits by load: every {@code interval} while a stream thread keeps up with its input, less often
 * the further it is behind, at most every {@code backlogInterval}. Kafka Streams commits at its
 * {@code commit.interval.ms}, which is set to the backlog interval; the pacer asks for the commits
 * in between ({@link ProcessingContext#commit()}), which under exactly-once v2 commit every task of
 * the thread together.
 *
 * <p>Why: a commit under exactly-once writes back the state of every agent that acted since the
 * last one and ends a transaction over all the changelogs it touched. While the thread keeps up,
 * committing often keeps alerts quick. While it is behind (after an outage, a rebalance, a burst),
 * every commit takes time from the backlog and writes back almost one agent per event; committing
 * less often lets each write-back cover more events of the same agents, so the detector catches up
 * faster.
 *
 * <p>How a thread is judged: by how late it took up the last action record, its wall clock then
 * against the record's Kafka timestamp (producer or broker time; {@link #input}, told by the
 * timestamp extractor, which sees it before event time replaces it), as long as that was within the
 * last interval ({@code actionLag}). The pacer asks for a commit {@code interval} after the first
 * record since the last commit; when that last action was taken up more than twice the interval
 * after it was written, half that lateness after it instead ({@link #dueAfterMs}): an alert already
 * late waits at most half as long again for its commit. From twice the backlog interval on, it
 * leaves the commits to Kafka Streams' backlog interval. A commit held back past the interval is
 * counted once per window in {@link ChaperoneMetrics#COMMIT_DEFERRALS}. A wall-clock punctuation
 * every half interval asks too, so the last records before the input goes quiet are committed about
 * {@code interval} after they came, not a backlog interval later; a thread that has waited an
 * interval for input has caught up, however late its last action was, and its next record is due as
 * soon as an interval has passed since its last commit: at once after a longer spell, as Kafka
 * Streams would commit it ({@code windowStart}). Every input opens a window: the actions (decode),
 * the internal topics (credential uses, shared-credential and fleet alerts) and feedback; each
 * sub-topology's entry schedules the punctuation, so a thread whose tasks read only internal topics
 * is paced too.
 *
 * <p>A producer whose clock runs behind the detector's makes its records look late, and the thread
 * that reads them commits once per half that skew, at most once a backlog interval: alerts then
 * take up to that long. Where producers' clocks cannot be trusted, {@code
 * message.timestamp.type=LogAppendTime} on the actions topic makes the broker's clock the
 * reference.
 *
 * <p>On by default ({@code chaperone.commit.backlog.interval.ms} 1,000; 0 or anything not above
 * {@code commit.interval.ms} turns it off): in {@code chaperone bench} a paced backlog is scored
 * 13-55 % faster, and a thread that keeps up commits as often as Kafka Streams would. Its p99 at
 * 5,000 events/s was higher in the bench while counted from one second after the backlog (the
 * bench's fresh broker then compiling the paths of many small transactions that a paced warm-up had
 * not run); counted from six, as the bench now does, 94-223 ms in 27 of 31 paced runs on 4
 * December, over 250 in four (a slow stretch, a GC pause, stalls), against 115-157 in 7 unpaced
 * (docs/operations.md).
 *
 * <p>One pacer serves every task of a topology; its bookkeeping is per stream thread, since a
 * commit is.
 */
public final class CommitPacer {

  /**
   * A thread behind its input commits once per this share of how late it is: an alert already late
   * by some time waits at most half as long again for its commit.
   */
  static final int LATENESS_SHARE = 2;

  private final long intervalMs;
  private final long backlogIntervalMs;
  private final Duration punctuation;
  private final ChaperoneMetrics metrics;
  private final LongSupplier wallClock;
  private final ThreadLocal<Window> windows = ThreadLocal.withInitial(Window::new);

  /** One stream thread's records since its last commit. */
  private static final class Window {
    /** When the first record since the last commit came, or the last backlog interval began. */
    long start;

    /**
     * How late the last action record was taken up (ms after its Kafka timestamp); 0 at first, and
     * once the thread has waited an interval for input.
     */
    long lag;

    /** When the last action record was taken up (the wall clock), or never. */
    long lagAt = Long.MIN_VALUE;

    /** When the last record of any input came. */
    long lastRecord;

    /** The task's clock when the last commit was asked for. */
    long requested = Long.MIN_VALUE;

    /**
     * Whether the window opened on the clock of the round that asked for the last commit: Kafka
     * Streams commits after that round, so its records are most likely in that commit, and the
     * window opens again with the first record on a later clock, as Kafka Streams' own interval
     * runs from the end of its last commit. (Until then the window stands, so that the punctuation
     * commits a record that came after the commit within the same millisecond.) Windows that opened
     * before the commit made the pacer commit about a third more often than Kafka Streams at 5,000
     * events/s in {@code chaperone bench}, each commit a transaction for the broker.
     */
    boolean provisional;

    boolean uncommitted;
    boolean deferred;

    /**
     * Whether the punctuation found the thread waiting for input (an interval without a record)
     * since the last record; a thread that has not yet taken one up is waiting too.
     */
    boolean waiting = true;
  }

  /**
   * @param intervalMs how often to commit while the thread keeps up ({@code commit.interval.ms})
   * @param backlogIntervalMs how often Kafka Streams commits by itself; pacing is off unless this
   *     is longer than {@code intervalMs} and {@code intervalMs} is at least 1
   */
  public CommitPacer(long intervalMs, long backlogIntervalMs, ChaperoneMetrics metrics) {
    this(intervalMs, backlogIntervalMs, metrics, System::currentTimeMillis);
  }

  CommitPacer(
      long intervalMs, long backlogIntervalMs, ChaperoneMetrics metrics, LongSupplier wallClock) {
    this.wallClock = wallClock;
    this.intervalMs = intervalMs;
    this.backlogIntervalMs = backlogIntervalMs;
    this.punctuation = Duration.ofMillis(Math.max(1, intervalMs / 2));
    this.metrics = metrics;
  }

  /**
   * Whether the pacer asks for commits at all: the backlog interval is the longer one (and {@code
   * commit.interval.ms} is not 0, which commits after every loop of the stream thread anyway).
   */
  public boolean enabled() {
    return paces(intervalMs, backlogIntervalMs);
  }

  /** Whether a pacer of these intervals asks for commits: see {@link #enabled()}. */
  public static boolean paces(long intervalMs, long backlogIntervalMs) {
    return intervalMs > 0 && backlogIntervalMs > intervalMs;
  }

  /** Schedules the punctuation that commits records left when the input goes quiet. */
  public void init(ProcessingContext context) {
    if (enabled()) {
      context.schedule(punctuation, PunctuationType.WALL_CLOCK_TIME, now -> quiet(context, now));
    }
  }

  /**
   * The current stream thread takes up an action record written at {@code kafkaTimestampMs} (its
   * Kafka timestamp; negative when it has none).
   */
  public void input(long kafkaTimestampMs) {
    if (enabled()) {
      Window window = windows.get();
      long now = wallClock.getAsLong();
      window.lag = kafkaTimestampMs < 0 ? 0 : now - kafkaTimestampMs;
      window.lagAt = now;
    }
  }

  /** A record of any input is being processed in {@code context}'s task. */
  public void onRecord(ProcessingContext context) {
    if (!enabled()) {
      return;
    }
    Window window = windows.get();
    long now = context.currentSystemTimeMs();
    window.lastRecord = now;
    if (!window.uncommitted) {
      window.uncommitted = true;
      window.provisional = now <= window.requested;
      window.start = windowStart(window, now);
    } else if (window.provisional && now > window.requested) {
      window.start = now;
      window.provisional = false;
    }
    window.waiting = false;
    decide(context, window, now);
  }

  /**
   * Where a window opened at {@code now} begins. For a thread waiting for input (the punctuation
   * found it without a record for an interval), an interval before {@code now}, or at the last
   * commit asked for if that was later: its first record is due as soon as an interval has passed
   * since that commit, at once after a longer spell, as Kafka Streams' own interval runs from its
   * last commit; a window from the record on would hold a lone alert an interval longer. For a busy
   * thread, at {@code now}: a commit that takes longer than an interval leaves the same gap between
   * two of its records as a quiet spell, and counting from the commit would then commit after every
   * round of Kafka Streams' loop. Judged by the punctuation, not by the gap, for that reason.
   */
  private long windowStart(Window window, long now) {
    return window.waiting ? Math.max(now - intervalMs, window.requested) : now;
  }

  private void quiet(ProcessingContext context, long now) {
    Window window = windows.get();
    if (now - window.lastRecord >= intervalMs) {
      window.lag = 0; // waiting for input: whatever the last action's lag, the thread caught up
      window.waiting = true;
    }
    if (window.uncommitted) {
      decide(context, window, now);
    }
  }

  private void decide(ProcessingContext context, Window window, long now) {
    long elapsed = now - window.start;
    if (elapsed < intervalMs) {
      return;
    }
    long due = dueAfterMs(actionLag(window, now));
    if (elapsed >= due && due < backlogIntervalMs) {
      context.commit();
      metrics.commitRequested();
      window.requested = now;
      window.uncommitted = false;
      window.deferred = false;
    } else if (elapsed >= backlogIntervalMs) {
      // Kafka Streams has committed by itself within the window: a new one begins.
      window.start = now;
      window.deferred = false;
    } else if (!window.deferred) {
      window.deferred = true;
      metrics.commitDeferred();
    }
  }

  /**
   * How late the thread is with its actions: how late it took up the last one, if that was within
   * an interval of {@code now}; else 0, since a thread behind on its actions takes them up one
   * after another. Its other inputs (the internal topics, feedback) are not judged by a lateness
   * that went stale: once the last action of a backlog was taken up, a thread still busy with
   * repartitioned records (the alerts and credential uses of that backlog) commits them every
   * interval, where it held them back up to a backlog interval before.
   */
  private long actionLag(Window window, long now) {
    return now - window.lagAt > intervalMs ? 0 : window.lag;
  }

  /**
   * How long after a window's first record its commit is asked for, the last action having been
   * taken up {@code lagMs} after it was written: {@code interval} while that is under twice the
   * interval, then half the lag, up to the backlog interval (which Kafka Streams keeps itself).
   */
  long dueAfterMs(long lagMs) {
    return Math.min(backlogIntervalMs, Math.max(intervalMs, lagMs / LATENESS_SHARE));
  }
}
