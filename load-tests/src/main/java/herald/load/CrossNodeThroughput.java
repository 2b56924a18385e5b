package herald.load;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.netty.ByteBufFlux;
import reactor.netty.http.client.HttpClient;
import reactor.netty.http.client.WebsocketClientSpec;
import reactor.netty.resources.ConnectionProvider;
import reactor.netty.resources.LoopResources;

/**
 * How many publications per second one node pushes through the Redis engine, and what each costs
 * Redis. For each concurrency in the list, {@code concurrency} backend clients publish to one
 * channel through {@code POST /api/v1/publish} back to back (a closed loop: each sends its next
 * request when the previous one is answered) for {@code seconds}; one WebSocket subscriber per node
 * in {@code subscriberPorts} holds the channel, so every publication runs the whole path (publish
 * script, pub/sub to every node, delivery, and the publishing node's wait for its own delivery).
 * The concurrency where publications per second stop growing is the node's limit.
 *
 * <p>Around each step, Redis's {@code INFO commandstats} gives the commands per publication
 * (EVALSHA and every command its script runs), and {@code INFO cpu} Redis's CPU time per
 * publication; with {@code nodePid}, {@code /proc} gives the publishing node's CPU time too. Prints
 * one JSON line per step. Loopback only; bounded in count and time.
 *
 * <p>Arguments: {@code host port redisPort seconds concurrencies subscriberPorts apiKey label
 * [nodePid]}, where concurrencies and subscriberPorts are comma lists ({@code -} for no
 * subscriber).
 */
public final class CrossNodeThroughput {

  private CrossNodeThroughput() {}

  public static void main(String[] args) throws Exception {
    String host = args.length > 0 ? args[0] : "127.0.0.1";
    int port = args.length > 1 ? Integer.parseInt(args[1]) : 8080;
    int redisPort = args.length > 2 ? Integer.parseInt(args[2]) : 6379;
    int seconds = args.length > 3 ? Integer.parseInt(args[3]) : 10;
    String concurrencies = args.length > 4 ? args[4] : "1,4,16,64";
    String subscriberPorts = args.length > 5 ? args[5] : "-";
    String apiKey = args.length > 6 ? args[6] : "bench";
    String label = args.length > 7 ? args[7] : "run";
    long nodePid = args.length > 8 ? Long.parseLong(args[8]) : 0;
    Loopback.require(host);
    List<Integer> ports = new ArrayList<>();
    if (!subscriberPorts.equals("-")) {
      for (String p : subscriberPorts.split(",")) {
        ports.add(Integer.parseInt(p.trim()));
      }
    }
    LoopResources loops = LoopResources.create("tput", 2, true);
    for (String c : concurrencies.split(",")) {
      Step step =
          new Step(
              loops, host, port, redisPort, seconds, Integer.parseInt(c.trim()), ports, apiKey);
      System.out.println(step.execute(label, nodePid));
    }
    System.exit(0);
  }

  /** One concurrency level on a fresh channel. */
  static final class Step {
    private final LoopResources loops;
    private final String host;
    private final int port;
    private final int redisPort;
    private final int seconds;
    private final int concurrency;
    private final List<Integer> subscriberPorts;
    private final String apiKey;
    private final String channel = "tput:" + Long.toString(System.nanoTime(), 36);
    private final Recorder latency = new Recorder(3);
    private final AtomicLong published = new AtomicLong();
    private final AtomicLong errors = new AtomicLong();
    private final AtomicLong delivered = new AtomicLong();
    private final long[] lastOffset;
    private final long[] gaps;

    Step(
        LoopResources loops,
        String host,
        int port,
        int redisPort,
        int seconds,
        int concurrency,
        List<Integer> subscriberPorts,
        String apiKey) {
      this.loops = loops;
      this.host = host;
      this.port = port;
      this.redisPort = redisPort;
      this.seconds = seconds;
      this.concurrency = concurrency;
      this.subscriberPorts = subscriberPorts;
      this.apiKey = apiKey;
      this.lastOffset = new long[subscriberPorts.size()];
      this.gaps = new long[subscriberPorts.size()];
    }

    String execute(String label, long nodePid) throws Exception {
      List<Disposable> subscribers = subscribe();
      CrossNodeRedisStats.Snapshot before = CrossNodeRedisStats.snapshot(host, redisPort);
      double nodeCpuBefore = cpuSeconds(nodePid);
      long start = System.nanoTime();
      publishFor(Duration.ofSeconds(seconds));
      long elapsed = System.nanoTime() - start;
      double nodeCpu = cpuSeconds(nodePid) - nodeCpuBefore;
      CrossNodeRedisStats.Snapshot after = CrossNodeRedisStats.snapshot(host, redisPort);
      long expected = published.get() * subscriberPorts.size();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (delivered.get() < expected && System.nanoTime() < deadline) {
        Thread.sleep(20);
      }
      subscribers.forEach(Disposable::dispose);
      long ok = published.get();
      Map<String, Long> calls = after.callsSince(before);
      long commands = calls.values().stream().mapToLong(Long::longValue).sum();
      String perCommand =
          calls.entrySet().stream()
              .map(
                  e ->
                      String.format(
                          Locale.ROOT, "\"%s\":%.3f", e.getKey(), (double) e.getValue() / ok))
              .collect(Collectors.joining(",", "{", "}"));
      double seconds = elapsed / 1e9;
      double redisCpu = after.cpuSeconds() - before.cpuSeconds();
      Histogram histogram = latency.getIntervalHistogram();
      return String.format(
          Locale.ROOT,
          "{\"scenario\":\"redis-throughput\",\"label\":\"%s\",\"concurrency\":%d,"
              + "\"subscribers\":%d,\"published\":%d,\"errors\":%d,\"publishedPerSec\":%.0f,"
              + "\"p50us\":%d,\"p99us\":%d,\"redisCommandsPerPublication\":%.3f,"
              + "\"commandsPerPublication\":%s,\"redisCpuUsPerPublication\":%.1f,"
              + "\"redisCpuPercent\":%.0f,\"nodeCpuUsPerPublication\":%.1f,\"nodeCpuPercent\":%.0f,"
              + "\"delivered\":%d,\"lost\":%d,\"gaps\":%d}",
          label,
          concurrency,
          subscriberPorts.size(),
          ok,
          errors.get(),
          ok / seconds,
          histogram.getValueAtPercentile(50) / 1000,
          histogram.getValueAtPercentile(99) / 1000,
          (double) commands / ok,
          perCommand,
          redisCpu * 1e6 / ok,
          redisCpu * 100 / seconds,
          nodePid > 0 ? nodeCpu * 1e6 / ok : -1.0,
          nodePid > 0 ? nodeCpu * 100 / seconds : -1.0,
          delivered.get(),
          Math.max(0, expected - delivered.get()),
          java.util.Arrays.stream(gaps).sum());
    }

    /** The closed loop: {@code concurrency} clients, each publishing back to back until the end. */
    private void publishFor(Duration duration) {
      ConnectionProvider pool =
          ConnectionProvider.builder("tput").maxConnections(concurrency).build();
      HttpClient http =
          HttpClient.create(pool)
              .runOn(loops)
              .baseUrl("http://" + host + ":" + port)
              .headers(
                  headers ->
                      headers
                          .set("X-API-Key", apiKey)
                          .set(HttpHeaderNames.CONTENT_TYPE, "application/json"));
      String body = "{\"channel\":\"" + channel + "\",\"data\":{\"n\":1}}";
      long end = System.nanoTime() + duration.toNanos();
      try {
        Flux.range(0, concurrency)
            .flatMap(
                client ->
                    Mono.defer(() -> publishOnce(http, body)).repeat(() -> System.nanoTime() < end),
                concurrency)
            .blockLast(duration.plusSeconds(30));
      } finally {
        pool.dispose();
      }
    }

    private Mono<Integer> publishOnce(HttpClient http, String body) {
      long sent = System.nanoTime();
      return http.post()
          .uri("/api/v1/publish")
          .send(ByteBufFlux.fromString(Mono.just(body)))
          .responseSingle(
              (response, content) ->
                  content.asString().defaultIfEmpty("").thenReturn(response.status().code()))
          .doOnNext(
              status -> {
                if (status == 200) {
                  latency.recordValue(System.nanoTime() - sent);
                  published.incrementAndGet();
                } else {
                  errors.incrementAndGet();
                }
              })
          .onErrorResume(
              error -> {
                errors.incrementAndGet();
                return Mono.just(0);
              });
    }

    private List<Disposable> subscribe() throws InterruptedException {
      HttpClient.WebsocketSender ws =
          HttpClient.create(ConnectionProvider.newConnection())
              .runOn(loops)
              .websocket(WebsocketClientSpec.builder().protocols("herald.json").build());
      String subscribe = "{\"id\":1,\"op\":\"subscribe\",\"channel\":\"" + channel + "\"}";
      CountDownLatch subscribed = new CountDownLatch(subscriberPorts.size());
      List<Disposable> connections = new ArrayList<>();
      for (int i = 0; i < subscriberPorts.size(); i++) {
        int index = i;
        connections.add(
            ws.uri("ws://" + host + ":" + subscriberPorts.get(i) + "/ws")
                .handle(
                    (in, out) ->
                        out.sendString(Mono.just(subscribe))
                            .then()
                            .and(
                                in.receiveFrames()
                                    .map(WebSocketFrame::content)
                                    .map(content -> content.toString(StandardCharsets.UTF_8))
                                    .doOnNext(text -> onFrame(index, text, subscribed))))
                .subscribe(null, error -> System.err.println("subscriber: " + error)));
      }
      if (!subscribed.await(30, TimeUnit.SECONDS)) {
        throw new IllegalStateException("subscribers not ready");
      }
      return connections;
    }

    private void onFrame(int index, String text, CountDownLatch subscribed) {
      int offsetAt = text.indexOf("\"offset\":");
      if (offsetAt < 0) {
        return;
      }
      long offset = Long.parseLong(text.substring(offsetAt + 9).split("[^0-9]", 2)[0]);
      if (text.startsWith("{\"id\":1,")) {
        lastOffset[index] = offset;
        subscribed.countDown();
        return;
      }
      delivered.incrementAndGet();
      if (offset != lastOffset[index] + 1) {
        gaps[index]++;
      }
      lastOffset[index] = Math.max(offset, lastOffset[index]);
    }

    /** User+system CPU seconds of a process, from /proc (Linux); 0 without a pid. */
    private static double cpuSeconds(long pid) throws IOException {
      if (pid <= 0) {
        return 0;
      }
      String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
      // Fields after the command name, which is in parentheses and may hold spaces.
      String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
      long ticks = Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
      return ticks / 100.0;
    }
  }
}
