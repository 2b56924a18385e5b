package herald.load;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Scenario 5, the reconnect storm: {@code subs} WebSocket subscribers (spread over {@link
 * StormWorker} processes, at most {@code perWorker} each) hold one channel on node A; a backend
 * publisher posts {@code rate} publications per second with sequence numbers to node B; after
 * {@code warmup} seconds node A is killed with SIGKILL, its subscribers reconnect to the surviving
 * nodes with backoff and full jitter and resubscribe with {@code since}. Measures the time from the
 * kill until every subscriber is subscribed again, until every subscriber has every publication up
 * to the offset acknowledged {@code mark} seconds after the kill, loss, duplicates and gaps over
 * the whole run, and the surviving nodes' peak CPU (from {@code /proc/<pid>/stat} every 250 ms).
 * Prints one JSON line. Loopback only, bounded by {@code maxWait}.
 *
 * <p>Behind a proxy ({@code connectPort} and {@code reconnectPorts} = the proxy's port) the
 * subscribers first spread over every node and only node A's reconnect: how many that are is read
 * from the host's TCP table just before the kill ({@code clientsOnKilledNode}), and "every
 * subscriber subscribed again" means all {@code subs} subscribed, at least that many of them by a
 * subscribe answered after the kill.
 *
 * <p>Arguments {@code key=value}: {@code pidA portA survivorPids=p,p survivorPorts=p,p publishPort}
 * and (defaults) {@code subs=2000 perWorker=7500 rate=20 warmup=10 mark=5 after=10 maxWait=90
 * base=100 cap=5000 concurrency=200 apiKey=bench channel=storm:<random> label= connectPort=<portA>
 * reconnectPorts=<survivorPorts> proxyPids=} ({@code proxyPids}: processes whose peak CPU is
 * reported too, summed, e.g. the proxy's workers).
 */
public final class ReconnectStorm {

  private static final Pattern OFFSET = Pattern.compile("\"offset\":(\\d+)");
  private static final long SAMPLE_MILLIS = 250;

  private final Map<String, String> args;
  private final List<WorkerHandle> workers = new ArrayList<>();
  private final ExecutorService calls = Executors.newCachedThreadPool(r -> daemon(r, "call"));
  private final AtomicLong acked = new AtomicLong(); // highest offset node B answered
  private final AtomicLong publishErrors = new AtomicLong();
  private final AtomicLong published = new AtomicLong();
  private volatile boolean publishing = true;
  private volatile String channel;

  private ReconnectStorm(Map<String, String> args) {
    this.args = args;
  }

  public static void main(String[] argv) throws Exception {
    Map<String, String> args = new HashMap<>();
    for (String a : argv) {
      int eq = a.indexOf('=');
      args.put(a.substring(0, eq), a.substring(eq + 1));
    }
    ReconnectStorm storm = new ReconnectStorm(args);
    try {
      System.out.println(storm.run());
      System.out.flush();
    } finally {
      storm.workers.forEach(WorkerHandle::stop);
    }
    System.exit(0);
  }

  private static Thread daemon(Runnable r, String name) {
    Thread t = new Thread(r, name);
    t.setDaemon(true);
    return t;
  }

  private String arg(String name, String fallback) {
    String value = args.getOrDefault(name, fallback);
    if (value == null) {
      throw new IllegalArgumentException("missing argument " + name);
    }
    return value;
  }

  private int num(String name, String fallback) {
    return Integer.parseInt(arg(name, fallback));
  }

  private Json run() throws Exception {
    String host = "127.0.0.1";
    int subs = num("subs", "2000");
    int perWorker = num("perWorker", "7500");
    channel = arg("channel", "storm:c" + Long.toString(System.nanoTime() % 1_000_000_000L, 36));
    long pidA = Long.parseLong(arg("pidA", null));
    long[] survivorPids =
        Arrays.stream(arg("survivorPids", null).split(",")).mapToLong(Long::parseLong).toArray();
    long[] proxyPids =
        Arrays.stream(arg("proxyPids", "").split(","))
            .filter(p -> !p.isBlank())
            .mapToLong(Long::parseLong)
            .toArray();
    int portA = num("portA", null);
    int workerCount = (subs + perWorker - 1) / perWorker;
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    for (int w = 0; w < workerCount; w++) {
      workers.add(
          new WorkerHandle(
              List.of(
                  java,
                  "-Xmx768m",
                  "-XX:+UseParallelGC",
                  "-Dio.netty.leakDetection.level=disabled",
                  "-cp",
                  System.getProperty("java.class.path"),
                  StormWorker.class.getName(),
                  host,
                  arg("connectPort", arg("portA", null)),
                  arg("reconnectPorts", arg("survivorPorts", null)),
                  channel,
                  arg("base", "100"),
                  arg("cap", "5000"))));
    }
    // open: every worker its share, from its own loopback source addresses
    long openStart = System.nanoTime();
    List<CompletableFuture<String[]>> opens = new ArrayList<>();
    for (int w = 0; w < workerCount; w++) {
      int share = subs / workerCount + (w < subs % workerCount ? 1 : 0);
      String command =
          "open "
              + share
              + " 127.0.9."
              + (10 + 2 * w)
              + " 127.0.9."
              + (11 + 2 * w)
              + " "
              + arg("concurrency", "200");
      WorkerHandle worker = workers.get(w);
      opens.add(CompletableFuture.supplyAsync(() -> worker.call(command), calls));
    }
    int opened = 0;
    int openFailed = 0;
    for (CompletableFuture<String[]> o : opens) {
      String[] a = o.join();
      opened += Integer.parseInt(a[1]);
      openFailed += Integer.parseInt(a[2]);
    }
    double openSeconds = (System.nanoTime() - openStart) / 1e9;

    Thread publisher = daemon(this::publish, "publisher");
    publisher.start();
    Thread.sleep(num("warmup", "10") * 1000L);

    // the kill; behind a proxy only some of the subscribers are on A: count them first
    int onKilledNode = TcpTable.establishedTo(portA);
    long ackedAtKill = acked.get();
    long killNanos = System.nanoTime();
    new ProcessBuilder("kill", "-KILL", Long.toString(pidA)).inheritIO().start().waitFor();
    long markNanos = killNanos + num("mark", "5") * 1_000_000_000L;
    long mark = -1;
    long maxWaitNanos = killNanos + num("maxWait", "90") * 1_000_000_000L;
    long[] cpuPrev = new long[survivorPids.length];
    for (int i = 0; i < survivorPids.length; i++) {
      cpuPrev[i] = NodeProbe.cpuNanos(survivorPids[i]);
    }
    double[] peakCpuPct = new double[survivorPids.length];
    long proxyCpuPrev = cpuNanos(proxyPids);
    double peakProxyCpuPct = 0;
    // resubscribed-since-kill counts of the last second's samples, for the peak rate
    ArrayDeque<long[]> window = new ArrayDeque<>();
    double peakResubscribesPerSec = 0;
    long resubscribed = 0;
    long ended = 0;
    long prevSample = System.nanoTime();
    long allSubscribedNanos = -1;
    long recoveredNanos = -1;
    long minSubscribed = Long.MAX_VALUE;
    while (System.nanoTime() < maxWaitNanos) {
      Thread.sleep(SAMPLE_MILLIS);
      long now = System.nanoTime();
      for (int i = 0; i < survivorPids.length; i++) {
        long cpu = NodeProbe.cpuNanos(survivorPids[i]);
        double pct = (cpu - cpuPrev[i]) * 100.0 / (now - prevSample);
        if (recoveredNanos < 0) {
          peakCpuPct[i] = Math.max(peakCpuPct[i], pct);
        }
        cpuPrev[i] = cpu;
      }
      long proxyCpu = cpuNanos(proxyPids);
      if (recoveredNanos < 0) {
        peakProxyCpuPct =
            Math.max(peakProxyCpuPct, (proxyCpu - proxyCpuPrev) * 100.0 / (now - prevSample));
      }
      proxyCpuPrev = proxyCpu;
      prevSample = now;
      if (mark < 0 && now >= markNanos) {
        mark = acked.get();
      }
      long[] s = status(mark < 0 ? Long.MAX_VALUE : mark, killNanos);
      minSubscribed = Math.min(minSubscribed, s[0]);
      resubscribed = s[10];
      ended = Math.max(ended, s[11]);
      window.addLast(new long[] {now, resubscribed});
      while (now - window.peekFirst()[0] > 1_000_000_000L) {
        window.removeFirst();
      }
      long[] first = window.peekFirst();
      if (now - first[0] >= 900_000_000L) {
        peakResubscribesPerSec =
            Math.max(peakResubscribesPerSec, (resubscribed - first[1]) * 1e9 / (now - first[0]));
      }
      // every subscriber on A (directly: all of them) must have subscribed again after the kill,
      // and every other one still be subscribed
      long expected = Math.min(subs, Math.max(onKilledNode, ended));
      if (allSubscribedNanos < 0 && s[0] == subs && expected > 0 && resubscribed >= expected) {
        allSubscribedNanos = Math.max(killNanos, s[8]);
      }
      if (mark >= 0 && recoveredNanos < 0 && s[1] == subs) {
        recoveredNanos = now;
      }
      if (allSubscribedNanos >= 0 && recoveredNanos >= 0) {
        break;
      }
    }
    // keep publishing a while on the recovered cluster, then check the whole run
    Thread.sleep(num("after", "10") * 1000L);
    publishing = false;
    publisher.join(10_000);
    long last = acked.get();
    long[] s = status(last);
    long settleDeadline = System.nanoTime() + 15_000_000_000L;
    while (s[1] < subs && System.nanoTime() < settleDeadline) {
      Thread.sleep(250);
      s = status(last);
    }
    Json json = new Json().put("scenario", "storm").put("label", arg("label", ""));
    json.put("subscribers", subs)
        .put("workers", workerCount)
        .put("opened", opened)
        .put("openFailed", openFailed)
        .put("openSeconds", round(openSeconds))
        .put("openPerSec", round(opened / Math.max(openSeconds, 1e-9)))
        .put("survivors", survivorPids.length)
        .put("viaProxy", !arg("connectPort", arg("portA", null)).equals(arg("portA", null)))
        .put("clientsOnKilledNode", onKilledNode)
        .put("connectionsEndedByKill", ended)
        .put("resubscribedAfterKill", resubscribed)
        .put("rate", num("rate", "20"))
        .put("published", published.get())
        .put("publishErrors", publishErrors.get())
        .put("lastOffset", last)
        .put("offsetAtKill", ackedAtKill)
        .put("markOffset", mark)
        .put("minSubscribedAfterKill", minSubscribed == Long.MAX_VALUE ? -1 : minSubscribed)
        .put(
            "allResubscribedSeconds",
            allSubscribedNanos < 0 ? -1 : round((allSubscribedNanos - killNanos) / 1e9))
        .put(
            "recoveredToMarkSeconds",
            recoveredNanos < 0 ? -1 : round((recoveredNanos - killNanos) / 1e9))
        .put(
            "resubscribesPerSecMean",
            allSubscribedNanos <= killNanos
                ? -1
                : round(resubscribed * 1e9 / (allSubscribedNanos - killNanos)))
        .put("resubscribesPerSecPeak", round(peakResubscribesPerSec))
        .put("subscribedAtEnd", s[0])
        .put("subscribersWithEverything", s[1])
        .put("lost", s[2] + s[5])
        .put("missingAtEnd", s[2])
        .put("gaps", s[5])
        .put("duplicates", s[4])
        .put("delivered", s[3])
        .put("notRecovered", s[6])
        .put("reconnects", s[7])
        .put("subscribeErrors", s[9]);
    for (int i = 0; i < survivorPids.length; i++) {
      json.put("peakCpuPctNode" + (char) ('B' + i), round(peakCpuPct[i]));
    }
    if (proxyPids.length > 0) {
      json.put("peakCpuPctProxy", round(peakProxyCpuPct));
    }
    return json;
  }

  private static long cpuNanos(long[] pids) {
    long sum = 0;
    for (long pid : pids) {
      sum += NodeProbe.cpuNanos(pid);
    }
    return sum;
  }

  private static double round(double value) {
    return Math.round(value * 100) / 100.0;
  }

  /** The merged status of every worker: sums, except the last-subscribed time (a maximum). */
  private long[] status(long mark) {
    return status(mark, 0);
  }

  private long[] status(long mark, long sinceNanos) {
    List<CompletableFuture<String[]>> answers =
        workers.stream()
            .map(
                w ->
                    CompletableFuture.supplyAsync(
                        () -> w.call("status " + mark + " " + sinceNanos), calls))
            .toList();
    long[] total = new long[12];
    for (CompletableFuture<String[]> answer : answers) {
      String[] a = answer.join();
      for (int i = 0; i < 12; i++) {
        long v = Long.parseLong(a[i + 1]);
        total[i] = i == 8 ? Math.max(total[i], v) : total[i] + v;
      }
    }
    return total;
  }

  /** Posts publications at a steady rate to the publishing node, one at a time. */
  private void publish() {
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    URI uri = URI.create("http://127.0.0.1:" + arg("publishPort", null) + "/api/v1/publish");
    long intervalNanos = 1_000_000_000L / num("rate", "20");
    long next = System.nanoTime();
    long seq = 0;
    while (publishing) {
      long now = System.nanoTime();
      if (now < next) {
        java.util.concurrent.locks.LockSupport.parkNanos(next - now);
        continue;
      }
      next += intervalNanos;
      seq++;
      String body =
          "{\"channel\":\""
              + channel
              + "\",\"data\":{\"k\":0,\"seq\":"
              + seq
              + ",\"t\":"
              + System.nanoTime()
              + "}}";
      try {
        HttpResponse<String> response =
            http.send(
                HttpRequest.newBuilder(uri)
                    .timeout(Duration.ofSeconds(5))
                    .header("Content-Type", "application/json")
                    .header("X-API-Key", arg("apiKey", "bench"))
                    .POST(HttpRequest.BodyPublishers.ofString(body))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
        Matcher m = OFFSET.matcher(response.body());
        if (response.statusCode() == 200 && m.find()) {
          acked.accumulateAndGet(Long.parseLong(m.group(1)), Math::max);
          published.incrementAndGet();
        } else {
          publishErrors.incrementAndGet();
        }
      } catch (Exception e) {
        publishErrors.incrementAndGet();
      }
    }
  }
}
