package dev.chaperone.baseline;

import dev.chaperone.baseline.internal.Feature;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The score of one event against a baseline: the event score and the session score in standard
 * deviations, every signal with its raw and calibrated value, and explanations in plain words.
 * Explanations are built on demand, so scoring stays cheap when nobody reads them; they quote the
 * counts the event was scored against.
 */
public final class Assessment {

  private static final String[] DAYS = {
    "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"
  };

  final Baseline baseline;
  final Baseline reference;
  final Observation observation;
  final BaselineState state;
  final String previousTool;
  final int position;

  final long[] keyHash = new long[Feature.ALL.length];
  final boolean[] present = new boolean[Baseline.SIGNALS];
  final double[] raw = new double[Baseline.SIGNALS];
  final double[] sigma = new double[Baseline.SIGNALS];
  final boolean[] firstSeen = new boolean[Baseline.SIGNALS];
  final long[] count = new long[Baseline.SIGNALS];
  final long[] total = new long[Baseline.SIGNALS];
  int hourOfWeek;
  int rateCount;
  double rateMean;
  double rateSd;
  Feature driftFeature;
  long driftRecent;
  long driftOlder;
  long driftRecentEvents;
  long driftOlderEvents;

  int presentSignals;
  double eventScore;
  double aggregateRaw;
  double aggregateZ;
  double sessionScore;
  double sessionRaw = Double.NaN;
  boolean learned;

  Assessment(
      Baseline baseline,
      Baseline reference,
      Observation observation,
      BaselineState state,
      String previousTool,
      int position) {
    this.baseline = baseline;
    this.reference = reference;
    this.observation = observation;
    this.state = state;
    this.previousTool = previousTool;
    this.position = position;
  }

  public Observation observation() {
    return observation;
  }

  public BaselineState state() {
    return state;
  }

  /** The event's deviation in σ: the largest calibrated signal, Šidák-corrected; ≥ 0, never NaN. */
  public double eventScore() {
    return eventScore;
  }

  /** The session's deviation so far in σ (Stouffer over its events); ≥ 0, never NaN. */
  public double sessionScore() {
    return sessionScore;
  }

  /** Whether the event or its session reaches the baseline's alert threshold. */
  public boolean isAlert() {
    BaselineConfig config = baseline.config();
    return eventScore >= config.eventThresholdSigma()
        || sessionScore >= config.sessionThresholdSigma();
  }

  /** Whether the signal had the data to be computed for this event. */
  public boolean has(Signal signal) {
    return present[signal.ordinal()];
  }

  /** The calibrated deviation of {@code signal} in σ; 0 when absent. */
  public double sigma(Signal signal) {
    return sigma[signal.ordinal()];
  }

  /** The raw value of {@code signal}; 0 when absent. */
  public double raw(Signal signal) {
    return raw[signal.ordinal()];
  }

  /** Whether the signal's value was never seen in the window. */
  public boolean firstSeen(Signal signal) {
    return firstSeen[signal.ordinal()];
  }

  /** Every signal computed for this event, explained, in {@link Signal} order. */
  public List<SignalScore> signals() {
    List<SignalScore> out = new ArrayList<>();
    for (Signal s : Signal.values()) {
      if (present[s.ordinal()]) {
        out.add(
            new SignalScore(
                s, raw[s.ordinal()], sigma[s.ordinal()], firstSeen[s.ordinal()], explain(s)));
      }
    }
    return out;
  }

  /** The {@code n} signals that deviate most (σ > 0), most deviant first, explained. */
  public List<SignalScore> topSignals(int n) {
    List<SignalScore> out = new ArrayList<>();
    for (Signal s : mostDeviant(n)) {
      out.add(
          new SignalScore(
              s, raw[s.ordinal()], sigma[s.ordinal()], firstSeen[s.ordinal()], explain(s)));
    }
    return out;
  }

  /** The {@code n} signals that deviate most (σ > 0), most deviant first, without explanation. */
  public List<Signal> mostDeviant(int n) {
    List<Signal> ranked = new ArrayList<>();
    for (Signal s : Signal.values()) {
      if (present[s.ordinal()] && sigma[s.ordinal()] > 0) {
        ranked.add(s);
      }
    }
    ranked.sort(
        Comparator.comparingDouble((Signal s) -> -sigma[s.ordinal()]).thenComparing(Enum::ordinal));
    return ranked.subList(0, Math.min(n, ranked.size()));
  }

  /** One line: the score and its top three signals. */
  public String summary() {
    return summary(topSignals(3));
  }

  /**
   * One line: the score and {@code top}, the signals {@link #topSignals} gave, for a caller that
   * needs those too (each explanation reads the baseline; one reading serves both).
   */
  public String summary(List<SignalScore> top) {
    StringBuilder out =
        new StringBuilder(
            String.format(Locale.ROOT, "event %.1fσ, session %.1fσ", eventScore, sessionScore));
    if (state != BaselineState.BASELINED) {
      out.append(
          state == BaselineState.WARMING_UP
              ? " (warming up: scored against its cohort)"
              : " (unbaselined: not enough history)");
    }
    for (SignalScore s : top) {
      out.append(String.format(Locale.ROOT, "; %s (%+.1fσ)", s.explanation(), s.sigma()));
    }
    return out.toString();
  }

  /** {@code signal} in plain words and numbers. */
  public String explain(Signal signal) {
    int k = signal.ordinal();
    if (!present[k]) {
      return signal.label() + ": not applicable";
    }
    Observation o = observation;
    String window = "in " + Math.max(1, reference.spanDays()) + " days";
    return switch (signal) {
      case ACTION_TYPE ->
          "action type "
              + o.actionType()
              + ": "
              + seen(k, window, "actions")
              + usual(Feature.ACTION_TYPE, null);
      case TOOL ->
          "tool " + o.tool() + ": " + seen(k, window, "actions") + usual(Feature.TOOL, null);
      case RESOURCE ->
          "resource "
              + o.resource()
              + " with "
              + o.tool()
              + ": "
              + seen(k, window, "tool-resource pairs");
      case RESOURCE_FAMILY ->
          o.tool()
              + " on "
              + dev.chaperone.baseline.internal.ResourceGeneralizer.generalize(o.resource())
              + ": "
              + seen(k, window, "actions on resources")
              + usual(Feature.PAIR_GENERAL, null);
      case TRANSITION ->
          previousTool
              + " → "
              + o.tool()
              + " within a session: "
              + seen(k, window, "uses of " + previousTool);
      case HOUR_OF_WEEK ->
          hour(hourOfWeek)
              + ": "
              + count[k]
              + " of "
              + number(total[k])
              + " actions "
              + window
              + " at this hour of the week; busiest: "
              + hour(reference.busiestHourOfWeek());
      case CONTENT_CLASS ->
          "content class "
              + o.contentClass()
              + " on channel "
              + o.channel()
              + " (tool "
              + o.tool()
              + "): "
              + seen(k, window, "outputs on " + o.channel())
              + usual(Feature.CONTENT, o.channel() + " ");
      case RATE ->
          String.format(
              Locale.ROOT,
              "%d actions in this hour; usual %.1f ± %.1f per active hour",
              rateCount,
              rateMean,
              rateSd);
      case SESSION_LENGTH ->
          String.format(
              Locale.ROOT,
              "action %d of its session; %s of this agent's actions come earlier in their session",
              position,
              percent(
                  reference.positionShareUpTo(Math.max(0, Baseline.positionBin(position) - 1))));
      case DRIFT ->
          (driftFeature == Feature.TOOL
                  ? "tool " + o.tool()
                  : "resource family "
                      + o.tool()
                      + " on "
                      + dev.chaperone.baseline.internal.ResourceGeneralizer.generalize(
                          o.resource()))
              + String.format(
                  Locale.ROOT,
                  " makes %s of the last %d days (%s of %s) against %s before (%s of %s): a drift",
                  percent(share(driftRecent, driftRecentEvents)),
                  reference.config().driftDays(),
                  number(driftRecent),
                  number(driftRecentEvents),
                  percent(share(driftOlder, driftOlderEvents)),
                  number(driftOlder),
                  number(driftOlderEvents));
    };
  }

  private String seen(int k, String window, String what) {
    if (count[k] == 0) {
      return "never seen " + window + " (0 of " + number(total[k]) + " " + what + ")";
    }
    return "seen "
        + number(count[k])
        + (count[k] == 1 ? " time " : " times ")
        + window
        + " ("
        + percent(share(count[k], total[k]))
        + " of "
        + number(total[k])
        + " "
        + what
        + ")";
  }

  private String usual(Feature feature, String prefix) {
    List<Map.Entry<String, Long>> top = reference.top(feature, 3, prefix);
    long total = 0;
    for (Map.Entry<String, Long> e : reference.top(feature, Integer.MAX_VALUE, prefix)) {
      total += e.getValue();
    }
    if (top.isEmpty() || total == 0) {
      return "";
    }
    StringBuilder out = new StringBuilder("; usual: ");
    for (int i = 0; i < top.size(); i++) {
      if (i > 0) {
        out.append(", ");
      }
      out.append(top.get(i).getKey())
          .append(' ')
          .append(percent(share(top.get(i).getValue(), total)));
    }
    return out.toString();
  }

  private static double share(long part, long whole) {
    return whole == 0 ? 0 : (double) part / whole;
  }

  private static String percent(double share) {
    double p = share * 100;
    if (p == 0) {
      return "0%";
    }
    if (p < 0.1) {
      return "<0.1%";
    }
    return p < 10
        ? String.format(Locale.ROOT, "%.1f%%", p)
        : String.format(Locale.ROOT, "%.0f%%", p);
  }

  private static String number(long n) {
    return String.format(Locale.ROOT, "%,d", n);
  }

  private static String hour(int hourOfWeek) {
    return String.format(Locale.ROOT, "%s %02d:00 UTC", DAYS[hourOfWeek / 24], hourOfWeek % 24);
  }

  @Override
  public String toString() {
    return "Assessment[" + summary() + "]";
  }
}
