package herald.load;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Histogram;

/**
 * Runs one scenario against a node: starts {@link Worker} processes for the connections, publishes
 * from this process, reads the node's costs from {@code /proc} and jcmd, and prints one JSON line
 * per step on stdout. Loopback only; every step is bounded in count and time.
 *
 * <p>Arguments are {@code key=value}: {@code scenario=idle|handshake|fanout|channels}, {@code
 * pid=<node pid>}, {@code port}, and per scenario (defaults in brackets):
 *
 * <ul>
 *   <li>idle: {@code transport=ws|sse [ws] steps=5000,10000,15000,19000 settle=5 histogram=<lines>}
 *       (histogram: print to stderr the classes that grew most from the baseline to the last step,
 *       per connection)
 *   <li>handshake: {@code count=10000 repeats=3}
 *   <li>fanout: {@code subs=5000 rates=2,8,20 seconds=15 publisher=ws|http [ws]}
 *   <li>channels: {@code conns=10000 shared=4 rates=1000,5000 sharedRate=2 seconds=15 pause=0
 *       publisher=ws}
 * </ul>
 *
 * and for all: {@code host=127.0.0.1 perWorker=10000 threads=1 concurrency=200 workerHeap=768m
 * apiKey=load-test-key label=}.
 */
public final class Coordinator {

  private final Map<String, String> args;
  private final String host;
  private final int port;
  private final long pid;
  private final String label;
  private final String prefix = "load" + Long.toString(System.nanoTime() % 1_000_000_000L, 36);
  private final Workers workers;

  private Coordinator(Map<String, String> args) {
    this.args = args;
    this.host = arg("host", "127.0.0.1");
    Loopback.require(host);
    this.port = Integer.parseInt(arg("port", "8080"));
    this.pid = Long.parseLong(args.get("pid"));
    this.label = arg("label", "");
    this.workers =
        new Workers(
            host,
            port,
            Integer.parseInt(arg("perWorker", "10000")),
            Integer.parseInt(arg("threads", "1")),
            Integer.parseInt(arg("concurrency", "200")),
            arg("workerHeap", "768m"));
  }

  public static void main(String[] argv) throws Exception {
    Map<String, String> args = new HashMap<>();
    for (String a : argv) {
      int eq = a.indexOf('=');
      args.put(a.substring(0, eq), a.substring(eq + 1));
    }
    Coordinator coordinator = new Coordinator(args);
    try {
      switch (args.get("scenario")) {
        case "idle" -> coordinator.idle();
        case "handshake" -> coordinator.handshake();
        case "fanout" -> coordinator.fanout();
        case "channels" -> coordinator.channels();
        default -> throw new IllegalArgumentException("unknown scenario " + args.get("scenario"));
      }
    } finally {
      coordinator.workers.stop();
    }
    System.exit(0);
  }

  private String arg(String name, String fallback) {
    return args.getOrDefault(name, fallback);
  }

  private int[] ints(String name, String fallback) {
    return Arrays.stream(arg(name, fallback).split(",")).mapToInt(Integer::parseInt).toArray();
  }

  private double[] doubles(String name, String fallback) {
    return Arrays.stream(arg(name, fallback).split(",")).mapToDouble(Double::parseDouble).toArray();
  }

  private Json line(String scenario) {
    return new Json().put("scenario", scenario).put("label", label);
  }

  private static void print(Json json) {
    System.out.println(json);
    System.out.flush();
  }

  private static void sleep(long millis) throws InterruptedException {
    TimeUnit.MILLISECONDS.sleep(millis);
  }

  // ---- scenario 1: idle connections --------------------------------------------------------

  private void idle() throws Exception {
    String transport = arg("transport", "ws");
    int settle = Integer.parseInt(arg("settle", "5"));
    // warm the node's connection paths up, so that classes and JIT code are in the baseline
    workers.open(transport, 0, 1000, false, 1, prefix + "w");
    workers.closeAll();
    sleep(settle * 1000L);
    long baseHeap = NodeProbe.heapAfterGc(pid);
    long baseRss = NodeProbe.rssBytes(pid);
    long baseFiles = NodeProbe.openFiles(pid);
    ClassHistogram baseHistogram = args.containsKey("histogram") ? ClassHistogram.of(pid) : null;
    print(
        line("idle-baseline")
            .put("transport", transport)
            .put("heapBytes", baseHeap)
            .put("rssBytes", baseRss)
            .put("nodeFiles", baseFiles));
    int current = 0;
    for (int step : ints("steps", "5000,10000,15000,19000")) {
      long cpu0 = NodeProbe.cpuNanos(pid);
      Workers.Opened opened = workers.open(transport, current, step - current, false, 1, prefix);
      long cpu1 = NodeProbe.cpuNanos(pid);
      current = step;
      sleep(settle * 1000L);
      long heap = NodeProbe.heapAfterGc(pid);
      long rss = NodeProbe.rssBytes(pid);
      Workers.Report report = workers.report();
      print(
          line("idle")
              .put("transport", transport)
              .put("connections", report.open())
              .put("failed", opened.failed())
              .put("dropped", report.dropped())
              .put("handshakesPerSec", Math.round(opened.perSecond()))
              .put("nodeCpuUsPerHandshake", (cpu1 - cpu0) / 1e3 / Math.max(1, opened.ok()))
              .put("heapBytes", heap)
              .put("heapPerConnBytes", (heap - baseHeap) / Math.max(1, report.open()))
              .put("rssBytes", rss)
              .put("rssPerConnBytes", (rss - baseRss) / Math.max(1, report.open()))
              .put("nodeFiles", NodeProbe.openFiles(pid)));
    }
    if (baseHistogram != null) {
      System.err.println(
          ClassHistogram.of(pid)
              .perConnection(
                  baseHistogram, workers.report().open(), Integer.parseInt(arg("histogram", "40"))));
    }
    workers.closeAll();
  }

  // ---- handshake rate ----------------------------------------------------------------------

  private void handshake() throws Exception {
    int count = Integer.parseInt(arg("count", "10000"));
    int repeats = Integer.parseInt(arg("repeats", "3"));
    for (int r = 0; r < repeats; r++) {
      long node0 = NodeProbe.cpuNanos(pid);
      long gen0 = generatorCpu();
      Workers.Opened opened = workers.open("ws", 0, count, false, 0, prefix);
      long node1 = NodeProbe.cpuNanos(pid);
      long gen1 = generatorCpu();
      print(
          line("handshake")
              .put("run", r + 1)
              .put("connections", opened.ok())
              .put("failed", opened.failed())
              .put("seconds", (opened.endNanos() - opened.startNanos()) / 1e9)
              .put("handshakesPerSec", Math.round(opened.perSecond()))
              .put("nodeCpuUsPerHandshake", (node1 - node0) / 1e3 / Math.max(1, opened.ok()))
              .put("generatorCpuUsPerHandshake", (gen1 - gen0) / 1e3 / Math.max(1, opened.ok())));
      workers.closeAll();
      sleep(3000);
    }
  }

  // ---- scenario 2: fan-out -----------------------------------------------------------------

  private void fanout() throws Exception {
    int subs = Integer.parseInt(arg("subs", "5000"));
    Workers.Opened opened = workers.open("ws", 0, subs, false, 1, prefix);
    if (opened.failed() > 0) {
      System.err.println("fanout: " + opened.failed() + " subscribers failed to open");
    }
    Publications publications = new Publications(prefix, 0, 1);
    Publisher publisher = publisher();
    int seconds = Integer.parseInt(arg("seconds", "15"));
    step(
        "fanout-warmup",
        publications,
        publisher,
        new Publications.Step(0, 2, 3),
        new long[] {subs});
    for (double rate : doubles("rates", "2,8,20")) {
      Json result =
          step(
              "fanout",
              publications,
              publisher,
              new Publications.Step(0, rate, seconds),
              new long[] {subs});
      print(result.put("subscribers", subs));
    }
    workers.closeAll();
  }

  // ---- scenario 3: many channels -----------------------------------------------------------

  private void channels() throws Exception {
    int conns = Integer.parseInt(arg("conns", "10000"));
    int shared = Integer.parseInt(arg("shared", "4"));
    double sharedRate = Double.parseDouble(arg("sharedRate", "2"));
    int seconds = Integer.parseInt(arg("seconds", "15"));
    long cpu0 = NodeProbe.cpuNanos(pid);
    Workers.Opened opened = workers.open("ws", 0, conns, true, shared, prefix);
    long cpu1 = NodeProbe.cpuNanos(pid);
    long[] subscribersOfShared = new long[shared];
    for (int g = 0; g < conns; g++) {
      subscribersOfShared[g % shared]++;
    }
    print(
        line("channels-open")
            .put("connections", opened.ok())
            .put("failed", opened.failed())
            .put("channels", conns + shared)
            .put("handshakesPerSec", Math.round(opened.perSecond()))
            .put("nodeCpuUsPerConnection", (cpu1 - cpu0) / 1e3 / Math.max(1, opened.ok()))
            .put("heapBytes", NodeProbe.heapAfterGc(pid))
            .put("rssBytes", NodeProbe.rssBytes(pid)));
    Publications publications = new Publications(prefix, conns, shared);
    Publisher publisher = publisher();
    // channels left without publications for a while (longer than the node's idle sweep) before
    // the first one: their subscribers must still get it
    sleep(Integer.parseInt(arg("pause", "0")) * 1000L);
    Json warmup =
        step(
            "channels-warmup",
            publications,
            publisher,
            new Publications.Step(500, sharedRate, 3),
            subscribersOfShared);
    print(warmup.put("connections", conns).put("sharedChannels", shared));
    for (double rate : doubles("rates", "1000,5000")) {
      Json result =
          step(
              "channels",
              publications,
              publisher,
              new Publications.Step(rate, sharedRate, seconds),
              subscribersOfShared);
      print(result.put("connections", conns).put("sharedChannels", shared));
    }
    workers.closeAll();
  }

  // ---- one publishing step -----------------------------------------------------------------

  private Publisher publisher() {
    return new Publisher(host, port, arg("publisher", "ws"), arg("apiKey", "load-test-key"));
  }

  private long generatorCpu() {
    return workers.cpuNanos() + NodeProbe.cpuNanos(ProcessHandle.current().pid());
  }

  /**
   * Publishes one step and waits (at most 10 s) until every expected delivery arrived; the node's
   * CPU is read over publishing plus that wait.
   */
  private Json step(
      String scenario,
      Publications publications,
      Publisher publisher,
      Publications.Step step,
      long[] subscribersOfShared)
      throws InterruptedException {
    workers.reset();
    long own0 = publications.ownPublished();
    long[] shared0 = new long[subscribersOfShared.length];
    for (int j = 0; j < shared0.length; j++) {
      shared0[j] = publications.sharedPublished(j);
    }
    long errors0 = publisher.errors();
    long[] node0 = NodeProbe.userSystemNanos(pid);
    long gen0 = generatorCpu();
    long start = System.nanoTime();
    publisher.run(publications, step);
    long publishedAt = System.nanoTime();
    long published = publications.ownPublished() - own0;
    long expected = published;
    for (int j = 0; j < shared0.length; j++) {
      long n = publications.sharedPublished(j) - shared0[j];
      published += n;
      expected += n * subscribersOfShared[j];
    }
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (workers.delivered() < expected && System.nanoTime() < deadline) {
      sleep(100);
    }
    long end = System.nanoTime();
    long[] node1 = NodeProbe.userSystemNanos(pid);
    long gen1 = generatorCpu();
    long nodeUser = node1[0] - node0[0];
    long nodeSystem = node1[1] - node0[1];
    Workers.Report report = workers.report();
    long deliveries = Math.max(1, report.delivered());
    Histogram latency = report.latency();
    double wall = (end - start) / 1e9;
    long unique = report.delivered() - report.duplicates();
    return line(scenario)
        .put("publisher", arg("publisher", "ws"))
        .put("rate", step.ownRate > 0 ? step.ownRate : step.sharedRate)
        .put("seconds", step.seconds)
        .put("published", published)
        .put("publishErrors", publisher.errors() - errors0)
        .put("publisherClosedBy", publisher.closedBy())
        .put("publishSeconds", (publishedAt - start) / 1e9)
        .put("expected", expected)
        .put("delivered", report.delivered())
        .put("deliveredPerSec", Math.round(report.delivered() / (double) step.seconds))
        .put("lost", Math.max(0, expected - unique))
        .put("duplicates", report.duplicates())
        .put("gaps", report.gaps())
        .put("dropped", report.dropped())
        .put("p50us", latency.getValueAtPercentile(50))
        .put("p99us", latency.getValueAtPercentile(99))
        .put("p999us", latency.getValueAtPercentile(99.9))
        .put("maxus", latency.getMaxValue())
        .put("nodeCpuPct", (nodeUser + nodeSystem) / 1e7 / wall)
        .put("nodeCpuUsPerDelivery", (nodeUser + nodeSystem) / 1e3 / deliveries)
        .put("nodeUserUsPerDelivery", nodeUser / 1e3 / deliveries)
        .put("nodeSystemUsPerDelivery", nodeSystem / 1e3 / deliveries)
        .put("generatorCpuPct", (gen1 - gen0) / 1e7 / wall);
  }
}
