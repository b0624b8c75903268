package dev.chaperone.streams.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.chaperone.schema.AgentAction;
import dev.chaperone.schema.AgentRegistration;
import dev.chaperone.schema.Alert;
import dev.chaperone.schema.DeadLetter;
import dev.chaperone.schema.DetectorConfig;
import dev.chaperone.streams.ChaperoneTopology;
import dev.chaperone.streams.config.ChaperoneConfig;
import dev.chaperone.streams.contract.ContractViolationException;
import dev.chaperone.streams.contract.JsonContractCodec;
import dev.chaperone.streams.metrics.ChaperoneMetrics;
import dev.chaperone.streams.serde.AvroSerde;
import java.io.BufferedOutputStream;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.io.Writer;
import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Callable;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.ReplayDriver;
import org.apache.kafka.streams.StreamsConfig;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code chaperone replay}: the real topology, in-process, over recorded events, for backtesting
 * thresholds and evaluating detection on traces. Streams the events file through a bounded reorder
 * buffer (event-time order within it), writes alerts and per-event scores as JSON lines as it goes,
 * and reports every line it cannot use with its line number and reason.
 */
@Command(
    name = "replay",
    mixinStandardHelpOptions = true,
    description = {
      "Replay recorded agent actions (JSON lines, the contract's JSON form, any order) through the real topology.",
      "Exit code 0 when every line was used, 3 when some were rejected (see --rejects), 1 on a usage or I/O error."
    })
final class ReplayCommand implements Callable<Integer> {

  static final int REJECTED = 3;
  private static final ObjectMapper JSON = new ObjectMapper();

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Option(
      names = "--events",
      required = true,
      paramLabel = "FILE",
      description = "AgentAction JSON lines, in any order.")
  Path events;

  @Option(names = "--registry", paramLabel = "FILE", description = "AgentRegistration JSON lines.")
  Path registrations;

  @Option(
      names = "--config",
      paramLabel = "FILE",
      description = "A DetectorConfig JSON document, applied as the global config.")
  Path detectorConfig;

  @Option(
      names = "--alerts",
      paramLabel = "FILE",
      description = "Where to write the alerts, one JSON line each (default alerts.jsonl).")
  Path alerts = Path.of("alerts.jsonl");

  @Option(
      names = "--scores",
      paramLabel = "FILE",
      description = "Where to write every event's scores, one JSON line each.")
  Path scores;

  @Option(
      names = "--rejects",
      paramLabel = "FILE",
      description = "Where to write the lines not used (default rejects.jsonl).")
  Path rejects = Path.of("rejects.jsonl");

  @Option(
      names = "--reorder-buffer",
      defaultValue = "100000",
      description =
          "Events held to replay in event-time order (default ${DEFAULT-VALUE}); older stragglers are replayed late.")
  int reorderBuffer;

  @Option(
      names = {"-D", "--set"},
      paramLabel = "KEY=VALUE",
      description = "Any Chaperone setting, e.g. chaperone.baseline.cache.capacity=1000.")
  Map<String, String> overrides = new LinkedHashMap<>();

  /**
   * One line of the events file, parsed and encoded beside the replay: the action's key and value
   * as the actions topic carries them, or why the line was rejected.
   */
  private record Parsed(long line, Instant occurredAt, byte[] key, byte[] value, String rejection)
      implements Comparable<Parsed> {

    /**
     * Event time, then line: the replay order (a direct comparison: it runs per buffered event).
     */
    @Override
    public int compareTo(Parsed other) {
      int byTime = occurredAt.compareTo(other.occurredAt);
      return byTime != 0 ? byTime : Long.compare(line, other.line);
    }
  }

  /**
   * Reads, parses and encodes the events file on a thread of its own, so that the replay's thread
   * only drives the topology: batches of {@link #BATCH} lines in file order through a bounded queue
   * (memory flat in the file's length), an empty batch at the end. A failure on the reading side
   * (an I/O error, or anything unexpected) ends the batches and is rethrown by {@link #next}, so a
   * replay never ends early as if the file had.
   */
  private static final class EventReader implements AutoCloseable {
    private static final int BATCH = 512;
    private static final List<Parsed> END = List.of();

    private final BlockingQueue<List<Parsed>> batches = new ArrayBlockingQueue<>(64);
    private final Thread thread;
    private volatile Throwable failure;
    private volatile long cpuNanos;
    private boolean ended;

    EventReader(Path events, String topic) {
      this.thread =
          new Thread(
              () -> {
                try {
                  read(events, topic);
                } catch (InterruptedException e) {
                  Thread.currentThread().interrupt();
                }
              },
              "chaperone-replay-reader");
      thread.setDaemon(true);
      thread.start();
    }

    private void read(Path events, String topic) throws InterruptedException {
      var serializer = AvroSerde.forValues(AgentAction.class, null).serializer();
      List<Parsed> batch = new ArrayList<>(BATCH);
      try (Lines in = new Lines(Files.newInputStream(events))) {
        long line = 0;
        while (in.next()) {
          line++;
          if (in.isBlank()) {
            continue;
          }
          try {
            AgentAction action = JsonContractCodec.readAction(in.bytes(), in.offset(), in.length());
            batch.add(
                new Parsed(
                    line,
                    action.getOccurredAt(),
                    action.getAgentId().getBytes(StandardCharsets.UTF_8),
                    serializer.serialize(topic, action),
                    null));
          } catch (ContractViolationException e) {
            batch.add(new Parsed(line, null, null, null, e.getMessage()));
          }
          if (batch.size() == BATCH) {
            batches.put(batch);
            batch = new ArrayList<>(BATCH);
          }
        }
      } catch (IOException | RuntimeException | Error e) {
        failure = e;
      } finally {
        if (!batch.isEmpty()) {
          batches.put(batch);
        }
        // before the end is put: whoever takes the end reads it
        cpuNanos = ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime();
        batches.put(END);
      }
    }

    /** The next batch in file order, empty once at the end, then null. */
    List<Parsed> next() throws IOException {
      if (ended) {
        return null;
      }
      List<Parsed> batch;
      try {
        batch = batches.take();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new InterruptedIOException("interrupted while reading the events");
      }
      if (batch == END) {
        ended = true;
        if (failure instanceof IOException e) {
          throw e;
        }
        if (failure instanceof RuntimeException e) {
          throw e;
        }
        if (failure instanceof Error e) {
          throw e;
        }
      }
      return batch;
    }

    /** The CPU time the reading took, once the end has been taken (before, 0). */
    long cpuNanos() {
      return cpuNanos;
    }

    @Override
    public void close() {
      thread.interrupt();
    }
  }

  /**
   * The lines of a UTF-8 file as bytes, undecoded: the JSON parser takes UTF-8 itself, faster than
   * a string decoded first, and a line that is not UTF-8 is then one rejected line rather than the
   * end of the file. A line ends at {@code \n}, a {@code \r} before it dropped; the buffer grows to
   * the longest line.
   */
  static final class Lines implements AutoCloseable {
    private final InputStream in;
    private byte[] buffer = new byte[1 << 16];
    private int filled;
    private int start;
    private int lineStart;
    private int lineEnd;
    private boolean eof;

    Lines(InputStream in) {
      this.in = in;
    }

    /** Moves to the next line; false at the end of the file. */
    boolean next() throws IOException {
      int scan = start;
      while (true) {
        for (int i = scan; i < filled; i++) {
          if (buffer[i] == '\n') {
            take(i, i + 1);
            return true;
          }
        }
        if (eof) {
          if (start == filled) {
            return false;
          }
          take(filled, filled);
          return true;
        }
        scan = filled - start;
        if (start > 0) {
          System.arraycopy(buffer, start, buffer, 0, filled - start);
          filled -= start;
          start = 0;
        } else if (filled == buffer.length) {
          buffer = Arrays.copyOf(buffer, buffer.length * 2);
        }
        int read = in.read(buffer, filled, buffer.length - filled);
        if (read < 0) {
          eof = true;
        } else {
          filled += read;
        }
      }
    }

    private void take(int end, int next) {
      lineStart = start;
      lineEnd = end > start && buffer[end - 1] == '\r' ? end - 1 : end;
      start = next;
    }

    byte[] bytes() {
      return buffer;
    }

    int offset() {
      return lineStart;
    }

    int length() {
      return lineEnd - lineStart;
    }

    /** Whether the line holds only spaces and tabs, or nothing. */
    boolean isBlank() {
      for (int i = lineStart; i < lineEnd; i++) {
        if (buffer[i] != ' ' && buffer[i] != '\t') {
          return false;
        }
      }
      return true;
    }

    @Override
    public void close() throws IOException {
      in.close();
    }
  }

  @Override
  public Integer call() throws IOException {
    Path state = Files.createTempDirectory("chaperone-replay-");
    Map<String, Object> settings = new HashMap<>(overrides);
    settings.putIfAbsent(ChaperoneConfig.APPLICATION_ID_CONFIG, "chaperone-replay");
    settings.put(ChaperoneConfig.SCORES_ENABLED_CONFIG, scores != null);
    settings.putIfAbsent(ChaperoneConfig.RENDER_OCSF_CONFIG, false);
    settings.putIfAbsent(ChaperoneConfig.RENDER_ECS_CONFIG, false);
    settings.putIfAbsent(
        ChaperoneConfig.FUTURE_TOLERANCE_MS_CONFIG, Duration.ofDays(36_500).toMillis());
    // no broker, no transactions: commit pacing has nothing to save here
    settings.putIfAbsent(ChaperoneConfig.COMMIT_BACKLOG_INTERVAL_MS_CONFIG, 0L);
    ChaperoneConfig config = new ChaperoneConfig(settings);
    Properties props = config.streamsProperties();
    props.put(StreamsConfig.STATE_DIR_CONFIG, state.toString());
    // The stores are in memory already: a record cache in front of them would only add copies.
    props.put(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG, 0L);
    ChaperoneMetrics metrics = ChaperoneMetrics.inMemory();
    CpuClock cpu = new CpuClock();
    long started = System.nanoTime();
    long read = 0;
    long replayed = 0;
    long rejected = 0;
    long deadLettered = 0;
    long alertCount = 0;
    long readerCpuNanos = 0;
    try (ReplayDriver driver =
            new ReplayDriver(
                ChaperoneTopology.build(
                    config,
                    metrics,
                    new ChaperoneTopology.Rejections(),
                    ChaperoneTopology.StateStorage.EPHEMERAL),
                props,
                System.currentTimeMillis());
        BufferedWriter alertOut = Files.newBufferedWriter(alerts, StandardCharsets.UTF_8);
        // the scores topic carries each score as UTF-8 JSON already: its bytes are the line
        OutputStream scoreOut =
            scores == null
                ? null
                : new BufferedOutputStream(Files.newOutputStream(scores), 1 << 16);
        BufferedWriter rejectOut = Files.newBufferedWriter(rejects, StandardCharsets.UTF_8)) {
      Outputs outputs = new Outputs(driver, config);
      rejected += loadRegistry(driver, config, rejectOut);
      rejected += loadConfig(driver, config, rejectOut);
      ReorderBuffer<Parsed> buffer = new ReorderBuffer<>();
      LineNumbers lineByOffset = new LineNumbers();
      try (EventReader reader = new EventReader(events, config.actionsTopic())) {
        for (List<Parsed> batch = reader.next(); batch != null; batch = reader.next()) {
          for (Parsed parsed : batch) {
            read++;
            if (parsed.rejection() != null) {
              reject(rejectOut, "events", parsed.line(), parsed.rejection());
              rejected++;
            } else {
              buffer.add(parsed);
            }
          }
          boolean last = batch.isEmpty();
          while (!buffer.isEmpty() && (last || buffer.size() > reorderBuffer)) {
            Parsed next = buffer.poll();
            driver.pipe(
                config.actionsTopic(), next.key(), next.value(), next.occurredAt().toEpochMilli());
            lineByOffset.add(next.line());
            replayed++;
            if (replayed % 1_000 == 0) {
              deadLettered += outputs.drain(alertOut, scoreOut, rejectOut, lineByOffset);
              alertCount = outputs.alerts;
            }
          }
        }
        readerCpuNanos = reader.cpuNanos(); // it has ended: the last batch was taken
      }
      deadLettered += outputs.drain(alertOut, scoreOut, rejectOut, lineByOffset);
      alertCount = outputs.alerts;
    } finally {
      LocalRuns.deleteTree(state);
    }
    double seconds = (System.nanoTime() - started) / 1e9;
    spec.commandLine()
        .getOut()
        .printf(
            "Read %d events: %d scored, %d rejected%s in %.1f s, %.0f events/s; %d alert records to %s%s%n",
            read,
            replayed - deadLettered,
            rejected + deadLettered,
            rejected + deadLettered == 0 ? "" : " (see " + rejects + ")",
            seconds,
            read / Math.max(seconds, 1e-9),
            alertCount,
            alerts,
            scores == null ? "" : ", scores to " + scores);
    spec.commandLine().getOut().println(cpu.since(seconds, readerCpuNanos));
    spec.commandLine().getOut().flush();
    return rejected + deadLettered == 0 ? 0 : REJECTED;
  }

  /**
   * Where a replay's CPU went: the topology runs on the calling thread, and on two cores the JIT,
   * the reader and the collector compete with it for the other.
   */
  private static final class CpuClock {
    private final ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    private final com.sun.management.OperatingSystemMXBean os =
        (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    private final CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
    private final long topology = threads.getCurrentThreadCpuTime();
    private final long process = os.getProcessCpuTime();
    private final long compiling = jit.getTotalCompilationTime();

    String since(double seconds, long readerNanos) {
      return String.format(
          Locale.ROOT,
          "CPU: the topology's thread %.1f s, the events file's reader %.1f s, the process %.1f s"
              + " (the JIT compiling %.1f s), in %.1f s.",
          (threads.getCurrentThreadCpuTime() - topology) / 1e9,
          readerNanos / 1e9,
          (os.getProcessCpuTime() - process) / 1e9,
          (jit.getTotalCompilationTime() - compiling) / 1e3,
          seconds);
    }
  }

  /** The topology's outputs, drained to files as the replay goes so memory stays flat. */
  private static final class Outputs {
    private final ChaperoneConfig config;
    private final ReplayDriver driver;
    private final Deserializer<Alert> alertDeserializer =
        AvroSerde.forValues(Alert.class, null).deserializer();
    private final Deserializer<DeadLetter> letters =
        AvroSerde.forValues(DeadLetter.class, null).deserializer();
    private long alerts;

    Outputs(ReplayDriver driver, ChaperoneConfig config) {
      this.config = config;
      this.driver = driver;
      driver.capture(config.alertsTopic());
      driver.capture(config.scoresTopic());
      driver.capture(config.deadLettersTopic());
    }

    long drain(Writer alertOut, OutputStream scoreOut, Writer rejectOut, LineNumbers lineByOffset)
        throws IOException {
      for (ProducerRecord<byte[], byte[]> record : driver.drain(config.alertsTopic())) {
        alertOut.write(
            JsonContractCodec.write(
                alertDeserializer.deserialize(config.alertsTopic(), record.value())));
        alertOut.write('\n');
        alerts++;
      }
      for (ProducerRecord<byte[], byte[]> record : driver.drain(config.scoresTopic())) {
        if (scoreOut != null) {
          scoreOut.write(record.value());
          scoreOut.write('\n');
        }
      }
      long rejected = 0;
      for (ProducerRecord<byte[], byte[]> record : driver.drain(config.deadLettersTopic())) {
        DeadLetter letter = letters.deserialize(config.deadLettersTopic(), record.value());
        reject(rejectOut, "events", lineByOffset.lineAt(letter.getOffset()), letter.getReason());
        rejected++;
      }
      lineByOffset.clear();
      return rejected;
    }
  }

  /**
   * The line of each event piped since the last drain, by its offset on the actions topic: the
   * driver numbers the records of a topic from 0 in the order they are piped.
   */
  private static final class LineNumbers {
    private long firstOffset;
    private long[] lines = new long[1_024];
    private int size;

    void add(long line) {
      if (size == lines.length) {
        lines = Arrays.copyOf(lines, size * 2);
      }
      lines[size++] = line;
    }

    /** The line of the event at {@code offset}, or -1 if it was not piped since the last drain. */
    long lineAt(long offset) {
      long index = offset - firstOffset;
      return index >= 0 && index < size ? lines[(int) index] : -1;
    }

    /** Forgets the lines kept so far; the next event piped has the next offset. */
    void clear() {
      firstOffset += size;
      size = 0;
    }
  }

  private long loadRegistry(ReplayDriver driver, ChaperoneConfig config, Writer rejectOut)
      throws IOException {
    if (registrations == null) {
      return 0;
    }
    StringSerializer keys = new StringSerializer();
    var serializer = AvroSerde.forValues(AgentRegistration.class, null).serializer();
    long rejected = 0;
    long line = 0;
    for (String text : Files.readAllLines(registrations, StandardCharsets.UTF_8)) {
      line++;
      if (text.isBlank()) {
        continue;
      }
      try {
        AgentRegistration registration = JsonContractCodec.readRegistration(text);
        driver.pipe(
            config.registryTopic(),
            keys.serialize(config.registryTopic(), registration.getAgentId()),
            serializer.serialize(config.registryTopic(), registration),
            0L);
      } catch (ContractViolationException e) {
        reject(rejectOut, "registry", line, e.getMessage());
        rejected++;
      }
    }
    return rejected;
  }

  private long loadConfig(ReplayDriver driver, ChaperoneConfig config, Writer rejectOut)
      throws IOException {
    if (detectorConfig == null) {
      return 0;
    }
    try {
      DetectorConfig global =
          JsonContractCodec.read(Files.readString(detectorConfig), DetectorConfig.class);
      driver.pipe(
          config.configTopic(),
          new StringSerializer().serialize(config.configTopic(), "global"),
          AvroSerde.forValues(DetectorConfig.class, null)
              .serializer()
              .serialize(config.configTopic(), global),
          0L);
      return 0;
    } catch (ContractViolationException e) {
      reject(rejectOut, "config", 1, e.getMessage());
      return 1;
    }
  }

  private static void reject(Writer out, String source, long line, String reason)
      throws IOException {
    Map<String, Object> reject = new LinkedHashMap<>();
    reject.put("source", source);
    reject.put("line", line);
    reject.put("reason", reason);
    out.write(JSON.writeValueAsString(reject));
    out.write('\n');
  }
}
