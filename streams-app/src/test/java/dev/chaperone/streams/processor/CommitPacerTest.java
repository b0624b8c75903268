package dev.chaperone.streams.processor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chaperone.streams.metrics.ChaperoneMetrics;
import java.time.Duration;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The pacer on the mock context's wall clock: commits every 50 ms while the input is fresh, once
 * per half its lateness while the records taken up were written longer ago, and leaves them to
 * Kafka Streams' 1 s while they were written 2 s ago or more.
 */
class CommitPacerTest {

  private long now;
  private ChaperoneMetrics metrics;
  private MockProcessorContext<Object, Object> context;
  private CommitPacer pacer;

  @BeforeEach
  void setUp() {
    now = 1_700_000_000_000L;
    metrics = ChaperoneMetrics.inMemory();
    context = new MockProcessorContext<>();
    pacer = new CommitPacer(50, 1_000, metrics, () -> now);
    pacer.init(context);
  }

  /**
   * A record every millisecond for {@code durationMs}, each written {@code ageMs} before it is
   * taken up; how many commits were asked for.
   */
  private int records(long durationMs, long ageMs) {
    int commits = 0;
    for (long end = now + durationMs; now < end; now++) {
      pacer.input(now - ageMs);
      context.setCurrentSystemTimeMs(now);
      pacer.onRecord(context);
      if (context.committed()) {
        commits++;
        context.resetCommit();
      }
    }
    return commits;
  }

  /** The thread's first record: nothing was committed before it, so it is due at once. */
  private void firstRecord() {
    assertEquals(1, records(1, 30), "the first record is committed at once");
  }

  private boolean punctuate() {
    context.scheduledPunctuators().get(0).getPunctuator().punctuate(now);
    boolean committed = context.committed();
    context.resetCommit();
    return committed;
  }

  @Test
  void freshInputIsCommittedEveryInterval() {
    // the first record at once, as nothing was committed before it; then a window opens with the
    // first record after a commit: 51 records a window
    assertEquals(1 + 39, records(2_000, 30));
    assertEquals(40, metrics.count(ChaperoneMetrics.COMMIT_REQUESTS));
    assertEquals(0, metrics.count(ChaperoneMetrics.COMMIT_DEFERRALS));
  }

  @Test
  void inputTwiceTheBacklogIntervalOldLeavesTheCommitsToKafkaStreams() {
    assertEquals(0, records(3_000, 5_000));
    assertEquals(3, metrics.count(ChaperoneMetrics.COMMIT_DEFERRALS), "once per backlog interval");
    assertEquals(0, metrics.count(ChaperoneMetrics.COMMIT_REQUESTS));
  }

  @Test
  void aThreadThatCatchesUpCommitsAtOnce() {
    records(1_500, 5_000);
    pacer.input(now - 20);
    context.setCurrentSystemTimeMs(now);
    pacer.onRecord(context);
    assertTrue(context.committed(), "the backlog window is long past the interval");
  }

  @Test
  void aThreadThatWaitedForInputHasCaughtUpHoweverLateItsLastActionWas() {
    records(200, 5_000);
    now += 60; // no input for more than an interval
    assertTrue(punctuate(), "the backlog's last records, committed without waiting 1 s");
    context.setCurrentSystemTimeMs(now);
    pacer.onRecord(context); // a credential use or feedback record: no Kafka timestamp told
    now += 50;
    assertTrue(punctuate());
  }

  @Test
  void recordsOfTheRoundThatAskedForTheCommitAreInItAndOpenNoWindow() {
    firstRecord();
    long first = now;
    assertEquals(1, records(51, 30), "the record 50 ms into the window asks");
    // three more records of the same round (the task's clock has not moved): Kafka Streams
    // commits them with the others after the round
    context.setCurrentSystemTimeMs(first + 50);
    for (int i = 0; i < 3; i++) {
      pacer.input(first + 20);
      pacer.onRecord(context);
    }
    assertFalse(context.committed());
    // the next window opens with the next round's first record, 50 ms before its commit
    assertEquals(0, records(50, 30));
    assertEquals(1, records(1, 30));
  }

  @Test
  void aThreadLessBehindCommitsOncePerHalfItsLateness() {
    firstRecord();
    // a second behind: a commit every half second (a window of 501 records), each window held
    // back once past the interval
    assertEquals(3, records(2_000, 1_000));
    assertEquals(4, metrics.count(ChaperoneMetrics.COMMIT_DEFERRALS));
    // 300 ms behind: the window left open is past its due at once, then a commit every 150 ms
    // (151 records a window)
    assertEquals(1 + 9, records(1_500, 300));
    // no further behind than twice the interval: the open window at once, then every interval
    assertEquals(1 + 19, records(1_000, 100));
  }

  @Test
  void theCommitIsDueAfterHalfTheLatenessBetweenTheIntervalAndTheBacklogInterval() {
    assertEquals(50, pacer.dueAfterMs(0));
    assertEquals(50, pacer.dueAfterMs(101));
    assertEquals(150, pacer.dueAfterMs(300));
    assertEquals(999, pacer.dueAfterMs(1_999));
    assertEquals(1_000, pacer.dueAfterMs(2_000));
    assertEquals(1_000, pacer.dueAfterMs(60_000));
  }

  @Test
  void aRecordWithoutATimestampCountsAsFresh() {
    int commits = 0;
    for (long end = now + 1_000; now < end; now++) {
      pacer.input(-1); // ConsumerRecord.NO_TIMESTAMP
      context.setCurrentSystemTimeMs(now);
      pacer.onRecord(context);
      commits += context.committed() ? 1 : 0;
      context.resetCommit();
    }
    assertEquals(1 + 19, commits, "the first at once, then every 51 records");
  }

  @Test
  void aRecordOfAnotherInputAfterAQuietSpellIsJudgedByHowLateTheLastActionWasTakenUp() {
    records(100, 30);
    now += 5_000; // quiet: the last action's Kafka timestamp is now 5 s old, but it came in time
    context.setCurrentSystemTimeMs(now);
    pacer.onRecord(context); // a credential use or feedback record: no Kafka timestamp told
    now += 50;
    assertTrue(punctuate());
    assertEquals(0, metrics.count(ChaperoneMetrics.COMMIT_DEFERRALS));
  }

  @Test
  void theRecordsBeforeTheInputGoesQuietAreCommittedByThePunctuation() {
    firstRecord();
    assertEquals(0, records(10, 30));
    now += 20;
    assertFalse(punctuate(), "within the interval of the window's first record");
    now += 25;
    assertTrue(punctuate(), "50 ms after the window's first record");
    now += 100;
    assertFalse(punctuate(), "nothing left to commit");
  }

  @Test
  void theFirstRecordAfterAQuietSpellIsCommittedAtOnce() {
    firstRecord();
    now += 50;
    assertFalse(punctuate(), "nothing to commit; the thread has waited an interval for input");
    assertEquals(1, records(1, 30), "a lone record after the quiet spell: no window to wait for");
    assertEquals(0, records(30, 30), "the next ones within an interval of it wait for the window");
    now += 20;
    assertTrue(punctuate(), "50 ms after the window's first record");
    // a lone record after a spell the punctuation did not see (the loop was blocked in poll):
    // judged as a record of a busy thread, its window runs from it
    now += 500;
    assertEquals(0, records(1, 30));
    now += 49;
    assertEquals(1, records(1, 30));
  }

  @Test
  void notWithinAnIntervalOfTheLastCommitHoweverQuietTheThread() {
    firstRecord();
    assertEquals(0, records(10, 30));
    now += 50;
    assertTrue(punctuate(), "the window's records, and the thread has waited for input");
    now += 25;
    assertEquals(0, records(1, 30), "25 ms after the last commit: its interval runs from it");
    now += 24;
    assertEquals(1, records(1, 30));
  }

  @Test
  void aCommitThatTookLongerThanAnIntervalIsNoQuietSpell() {
    firstRecord();
    assertEquals(1, records(51, 30), "the record 50 ms into the window asks");
    // Kafka Streams commits after the round, for 80 ms; the thread's next round begins after it
    now += 80;
    assertEquals(0, records(50, 30), "a busy thread's window runs from its first record");
    assertEquals(1, records(1, 30));
  }

  @Test
  void aLateRecordAfterAQuietSpellWaitsForHalfItsLateness() {
    firstRecord();
    now += 60;
    assertFalse(punctuate());
    // a second late: due half its lateness after the window's start, which after a quiet spell
    // lies an interval before its first record
    assertEquals(0, records(450, 1_000));
    assertEquals(1, records(1, 1_000));
  }

  @Test
  void otherInputsAfterTheLastActionOfABacklogAreNotHeldBackByItsStaleLateness() {
    assertEquals(0, records(200, 5_000), "a backlog of actions: left to Kafka Streams");
    // the repartitioned records of that backlog (no Kafka timestamp told), one a millisecond
    int commits = 0;
    for (int i = 0; i < 60; i++, now++) {
      context.setCurrentSystemTimeMs(now);
      pacer.onRecord(context);
      commits += context.committed() ? 1 : 0;
      context.resetCommit();
    }
    assertEquals(1, commits, "asked for once the last action is an interval old");
  }

  @Test
  void thePunctuationRunsEveryHalfIntervalOnTheWallClock() {
    var punctuator = context.scheduledPunctuators().get(0);
    assertEquals(Duration.ofMillis(25), punctuator.getInterval());
    assertEquals(PunctuationType.WALL_CLOCK_TIME, punctuator.getType());
  }

  @Test
  void offUnlessTheBacklogIntervalIsTheLongerOne() {
    MockProcessorContext<Object, Object> unpaced = new MockProcessorContext<>();
    CommitPacer off = new CommitPacer(50, 50, metrics, () -> now);
    off.init(unpaced);
    assertFalse(off.enabled());
    assertTrue(unpaced.scheduledPunctuators().isEmpty());
    for (int i = 0; i < 100; i++, now += 10) {
      off.input(now);
      unpaced.setCurrentSystemTimeMs(now);
      off.onRecord(unpaced);
    }
    assertFalse(unpaced.committed());
    assertFalse(
        new CommitPacer(0, 1_000, metrics).enabled(),
        "commit.interval.ms=0 commits after every loop already");
  }
}
