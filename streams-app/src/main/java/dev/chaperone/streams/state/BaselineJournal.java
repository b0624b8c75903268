package dev.chaperone.streams.state;

import dev.chaperone.baseline.Assessment;
import dev.chaperone.baseline.Baseline;
import dev.chaperone.baseline.BaselineConfig;
import dev.chaperone.baseline.Observation;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

/**
 * The steps that changed a baseline since its last snapshot, so that a commit writes what an event
 * taught (tens of bytes) rather than the agent's whole baseline head (kilobytes).
 *
 * <p>A step is what the detector did with one event: it always scored it ({@link
 * Baseline#assess(Observation)}, which also moves the session and rate trackers), then either
 * learned it, quarantined it, or neither (too late to learn). Replaying the steps in order on the
 * snapshot they follow, under the config they were taken under, rebuilds the baseline exactly:
 * every change a baseline undergoes goes either through a step or through a snapshot (config
 * changes, analyst feedback and evictions force one).
 *
 * <p>Generations: each snapshot starts a new generation of the journal; a batch carries the
 * generation it belongs to, so a snapshot needs not delete the batches before it: they are ignored,
 * and overwritten as the new generation's batches take their slots.
 *
 * <p>Encodings: a batch (the steps of one commit) is a version byte, its generation, a count and
 * per step a kind byte, the event id for quarantines, and the observation (strings are at most
 * {@code ActionContract.MAX_STRING_CHARS} characters, well within {@code writeUTF}'s 64 KiB); the
 * journal head holds the generation and every field of {@link BaselineConfig}. Not thread-safe.
 */
final class BaselineJournal {

  /** What happened to one scored event. */
  enum Kind {
    /** Scored and learned. */
    LEARNED,
    /** Scored and held out of learning. */
    QUARANTINED,
    /** Scored only: too late to learn. */
    SCORED
  }

  /** One event's step. */
  record Step(Kind kind, String eventId, Observation observation) {}

  private static final byte FORMAT_VERSION = 1;

  private BaselineJournal() {}

  /** Applies {@code step} to {@code baseline} as the detector did. */
  static void replay(Baseline baseline, Step step) {
    Assessment assessment = baseline.assess(step.observation());
    switch (step.kind()) {
      case LEARNED -> baseline.learn(assessment);
      case QUARANTINED -> baseline.quarantine(step.eventId(), step.observation());
      case SCORED -> {}
    }
  }

  /** The steps of one batch and the journal generation they belong to. */
  record Batch(int generation, List<Step> steps) {}

  static byte[] encodeBatch(int generation, List<Step> steps) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(16 + steps.size() * 64);
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      out.writeByte(FORMAT_VERSION);
      out.writeInt(generation);
      out.writeInt(steps.size());
      for (Step step : steps) {
        out.writeByte(step.kind().ordinal());
        if (step.kind() == Kind.QUARANTINED) {
          ModifiedUtf8.write(out, step.eventId());
        }
        Observation o = step.observation();
        out.writeLong(o.timestampMs());
        writeNullable(out, o.sessionId());
        ModifiedUtf8.write(out, o.actionType());
        ModifiedUtf8.write(out, o.tool());
        writeNullable(out, o.resource());
        writeNullable(out, o.channel());
        writeNullable(out, o.contentClass());
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e); // in memory: cannot happen
    }
    return bytes.toByteArray();
  }

  /**
   * The steps of one batch.
   *
   * @throws IllegalArgumentException for bytes that are not a batch
   */
  static Batch decodeBatch(byte[] bytes) {
    try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes))) {
      checkVersion(in.readByte());
      int generation = in.readInt();
      int n = in.readInt();
      if (n < 0 || n > bytes.length) {
        throw new IllegalArgumentException("bad journal batch: " + n + " steps");
      }
      List<Step> steps = new ArrayList<>(n);
      Kind[] kinds = Kind.values();
      for (int i = 0; i < n; i++) {
        int kind = in.readByte();
        if (kind < 0 || kind >= kinds.length) {
          throw new IllegalArgumentException("bad journal step kind " + kind);
        }
        String eventId = kinds[kind] == Kind.QUARANTINED ? in.readUTF() : null;
        Observation o =
            new Observation(
                in.readLong(),
                readNullable(in),
                in.readUTF(),
                in.readUTF(),
                readNullable(in),
                readNullable(in),
                readNullable(in));
        steps.add(new Step(kinds[kind], eventId, o));
      }
      return new Batch(generation, steps);
    } catch (IOException e) {
      throw new IllegalArgumentException("truncated journal batch", e);
    }
  }

  /** The head of a journal: its generation and the config its snapshot and steps run under. */
  record Head(int generation, BaselineConfig config) {}

  static byte[] encodeHead(int generation, BaselineConfig c) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(96);
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      out.writeByte(FORMAT_VERSION);
      out.writeInt(generation);
      out.writeInt(c.windowDays());
      out.writeDouble(c.smoothing());
      out.writeInt(c.warmupDays());
      out.writeLong(c.warmupEvents());
      out.writeDouble(c.eventThresholdSigma());
      out.writeDouble(c.sessionThresholdSigma());
      out.writeInt(c.minCalibrationSamples());
      out.writeDouble(c.minSigmaNats());
      out.writeInt(c.maxEncodedBytes());
      out.writeInt(c.quarantineCapacity());
      out.writeDouble(c.noveltyDailyShare());
      out.writeInt(c.driftDays());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes.toByteArray();
  }

  /**
   * The config of a config record.
   *
   * @throws IllegalArgumentException for bytes that are not one, or an invalid config
   */
  static Head decodeHead(byte[] bytes) {
    try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes))) {
      checkVersion(in.readByte());
      int generation = in.readInt();
      BaselineConfig config =
          new BaselineConfig(
              in.readInt(),
              in.readDouble(),
              in.readInt(),
              in.readLong(),
              in.readDouble(),
              in.readDouble(),
              in.readInt(),
              in.readDouble(),
              in.readInt(),
              in.readInt(),
              in.readDouble(),
              in.readInt());
      return new Head(generation, config);
    } catch (IOException e) {
      throw new IllegalArgumentException("truncated journal head", e);
    }
  }

  private static void checkVersion(byte version) {
    if (version != FORMAT_VERSION) {
      throw new IllegalArgumentException("unknown journal format version " + version);
    }
  }

  private static void writeNullable(DataOutputStream out, String value) throws IOException {
    out.writeBoolean(value != null);
    if (value != null) {
      ModifiedUtf8.write(out, value);
    }
  }

  private static String readNullable(DataInputStream in) throws IOException {
    return in.readBoolean() ? in.readUTF() : null;
  }
}
