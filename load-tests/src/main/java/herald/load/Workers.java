package herald.load;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.zip.DataFormatException;
import org.HdrHistogram.Histogram;

/**
 * The worker processes of one run. Connections are spread so that no process holds more than {@code
 * perWorker} (a process may open 20,000 files here), and every {@code open} uses fresh loopback
 * source addresses (127.0.x.y), a new one every {@code perSource} connections, so ephemeral ports
 * (about 28k per source address) and TIME_WAIT leftovers never run out.
 */
final class Workers {

  /** The merged answer of every worker's {@code open}. */
  record Opened(int ok, int failed, long startNanos, long endNanos) {
    double perSecond() {
      return ok * 1e9 / Math.max(1, endNanos - startNanos);
    }
  }

  /** The merged answer of every worker's {@code report}. */
  record Report(
      long delivered, long duplicates, long gaps, long open, long dropped, Histogram latency) {}

  private static final int PER_SOURCE = 10_000;

  private final String host;
  private final int port;
  private final int perWorker;
  private final int threads;
  private final int concurrency;
  private final String heap;
  private final List<WorkerHandle> workers = new ArrayList<>();
  // the common pool has one thread on two cores: worker calls block, so they get their own threads
  private final ExecutorService calls =
      Executors.newCachedThreadPool(
          r -> {
            Thread t = new Thread(r, "worker-call");
            t.setDaemon(true);
            return t;
          });
  private int nextSource = 10;

  Workers(String host, int port, int perWorker, int threads, int concurrency, String heap) {
    this.host = host;
    this.port = port;
    this.perWorker = perWorker;
    this.threads = threads;
    this.concurrency = concurrency;
    this.heap = heap;
  }

  List<Long> pids() {
    return workers.stream().map(WorkerHandle::pid).toList();
  }

  int connections() {
    return workers.stream().mapToInt(WorkerHandle::connections).sum();
  }

  /**
   * Opens connections {@code first .. first+count-1} (see {@link Worker} for their channels),
   * balanced over enough workers; returns when all are ready or failed.
   */
  Opened open(String transport, int first, int count, boolean own, int shared, String prefix)
      throws IOException {
    int total = connections() + count;
    int needed = (total + perWorker - 1) / perWorker;
    while (workers.size() < needed) {
      workers.add(spawn());
    }
    int target = (total + workers.size() - 1) / workers.size();
    List<CompletableFuture<String[]>> answers = new ArrayList<>();
    int next = first;
    int left = count;
    for (WorkerHandle worker : workers) {
      int share = Math.min(left, Math.max(0, target - worker.connections()));
      while (share > 0) {
        int chunk = Math.min(share, PER_SOURCE);
        String command =
            String.join(
                " ",
                "open",
                transport,
                Integer.toString(next),
                Integer.toString(chunk),
                own ? "1" : "0",
                Integer.toString(shared),
                prefix,
                nextSource(),
                Integer.toString(concurrency));
        answers.add(CompletableFuture.supplyAsync(() -> worker.call(command), calls));
        worker.addConnections(chunk);
        next += chunk;
        left -= chunk;
        share -= chunk;
      }
    }
    int ok = 0;
    int failed = 0;
    long start = Long.MAX_VALUE;
    long end = Long.MIN_VALUE;
    for (CompletableFuture<String[]> answer : answers) {
      String[] a = answer.join();
      ok += Integer.parseInt(a[1]);
      failed += Integer.parseInt(a[2]);
      start = Math.min(start, Long.parseLong(a[3]));
      end = Math.max(end, Long.parseLong(a[4]));
    }
    return new Opened(ok, failed, start, end);
  }

  long delivered() {
    return all("count").stream().mapToLong(a -> Long.parseLong(a[1])).sum();
  }

  void reset() {
    all("reset");
  }

  Report report() {
    long delivered = 0;
    long duplicates = 0;
    long gaps = 0;
    long open = 0;
    long dropped = 0;
    Histogram latency = new Histogram(3);
    for (String[] a : all("report")) {
      delivered += Long.parseLong(a[1]);
      duplicates += Long.parseLong(a[2]);
      gaps += Long.parseLong(a[3]);
      open += Long.parseLong(a[4]);
      dropped += Long.parseLong(a[5]);
      try {
        latency.add(
            Histogram.decodeFromCompressedByteBuffer(
                ByteBuffer.wrap(Base64.getDecoder().decode(a[6])), 0));
      } catch (DataFormatException e) {
        throw new IllegalStateException(e);
      }
    }
    return new Report(delivered, duplicates, gaps, open, dropped, latency);
  }

  void closeAll() {
    all("close");
    workers.forEach(w -> w.addConnections(-w.connections()));
  }

  /** CPU time of every worker process, in nanoseconds. */
  long cpuNanos() {
    return workers.stream().mapToLong(w -> NodeProbe.cpuNanos(w.pid())).sum();
  }

  void stop() {
    workers.forEach(WorkerHandle::stop);
  }

  private List<String[]> all(String command) {
    List<CompletableFuture<String[]>> answers =
        workers.stream()
            .map(w -> CompletableFuture.supplyAsync(() -> w.call(command), calls))
            .toList();
    return answers.stream().map(CompletableFuture::join).toList();
  }

  private String nextSource() {
    int n = nextSource++;
    return "127.0." + (1 + n / 250) + "." + (1 + n % 250);
  }

  private WorkerHandle spawn() throws IOException {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    return new WorkerHandle(
        List.of(
            java,
            "-Xmx" + heap,
            "-XX:+UseParallelGC",
            "-Dio.netty.leakDetection.level=disabled",
            "-cp",
            System.getProperty("java.class.path"),
            Worker.class.getName(),
            host,
            Integer.toString(port),
            Integer.toString(threads)));
  }
}
