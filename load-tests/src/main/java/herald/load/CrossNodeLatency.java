package herald.load;

import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.ToLongFunction;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.netty.http.client.HttpClient;
import reactor.netty.http.client.WebsocketClientSpec;
import reactor.netty.resources.ConnectionProvider;
import reactor.netty.resources.LoopResources;

/**
 * Added latency of the cross-node path, measured side by side in one run: {@code subscribers}
 * WebSocket clients on node A and as many on node B hold one channel; WebSocket publishers on node
 * A publish at {@code rate} publications per second for {@code seconds}. Each delivery's end-to-end
 * latency (send time in the data, receive time here, one clock) goes into the histogram of its
 * node: "local" for A's subscribers, "remote" for B's. With {@code portB} 0 there is no node B (the
 * single-node reference).
 *
 * <p>Several publisher connections share the rate, because a connection's commands run one after
 * the other on the node: one connection alone could not reach 10,000 publications per second and
 * its queue would show up as latency. Their publications interleave, so order is checked on the
 * offsets the node assigns: per subscriber, {@code gaps} (an offset skipped), {@code duplicates}
 * (an offset again or going back) and {@code lost} (publications a subscriber had not received 10 s
 * after publishing ended); {@code closedByNode} counts subscribers the node closed (a slow
 * consumer, when the load generator cannot read as fast as the node sends).
 *
 * <p>Runs a warm-up, then {@code runs} runs, each on a fresh channel, printing one JSON line per
 * run and one line of medians over the runs. Loopback only; bounded in count and time.
 *
 * <p>Arguments: {@code host portA portB subscribersPerNode rate seconds runs publishers label}.
 */
public final class CrossNodeLatency {

  private CrossNodeLatency() {}

  public static void main(String[] args) throws Exception {
    String host = args.length > 0 ? args[0] : "127.0.0.1";
    int portA = args.length > 1 ? Integer.parseInt(args[1]) : 8080;
    int portB = args.length > 2 ? Integer.parseInt(args[2]) : 0;
    int subscribers = args.length > 3 ? Integer.parseInt(args[3]) : 50;
    int rate = args.length > 4 ? Integer.parseInt(args[4]) : 1000;
    int seconds = args.length > 5 ? Integer.parseInt(args[5]) : 10;
    int runs = args.length > 6 ? Integer.parseInt(args[6]) : 3;
    int publishers = args.length > 7 ? Integer.parseInt(args[7]) : 8;
    String label = args.length > 8 ? args[8] : "run";
    Loopback.require(host);
    HttpClient.WebsocketSender client =
        HttpClient.create(ConnectionProvider.newConnection())
            .runOn(LoopResources.create("xnode", 2, true))
            .websocket(
                WebsocketClientSpec.builder()
                    .protocols("herald.json")
                    .maxFramePayloadLength(1 << 20)
                    .build());
    Settings settings =
        new Settings(host, portA, portB, subscribers, rate, seconds, publishers, label);
    // The warm-up is longer than a run: the nodes' JIT compiles the paths under load.
    new Run(client, settings.forWarmup(), true).execute();
    List<Result> results = new ArrayList<>();
    for (int i = 1; i <= runs; i++) {
      Result result = new Run(client, settings, false).execute();
      results.add(result);
      System.out.println(result.json(settings, "run", i));
    }
    System.out.println(Result.median(results).json(settings, "median", runs));
    System.exit(0);
  }

  record Settings(
      String host,
      int portA,
      int portB,
      int subscribers,
      int rate,
      int seconds,
      int publishers,
      String label) {

    Settings forWarmup() {
      return new Settings(host, portA, portB, subscribers, rate, 2 * seconds, publishers, label);
    }
  }

  /** One run's figures; latencies in microseconds, -1 where there is no node B. */
  record Result(
      long published,
      long acknowledged,
      long publishErrors,
      long ackedPerSec,
      long delivered,
      long[] local,
      long[] remote,
      long lost,
      long gaps,
      long duplicates,
      long closedByNode,
      long addedP50,
      long addedP99) {

    static Result of(
        long published,
        long acknowledged,
        long publishErrors,
        long ackedPerSec,
        long delivered,
        long[] local,
        long[] remote,
        long lost,
        long gaps,
        long duplicates,
        long closedByNode) {
      boolean single = remote[0] < 0;
      return new Result(
          published,
          acknowledged,
          publishErrors,
          ackedPerSec,
          delivered,
          local,
          remote,
          lost,
          gaps,
          duplicates,
          closedByNode,
          single ? -1 : remote[0] - local[0],
          single ? -1 : remote[1] - local[1]);
    }

    /** The per-run figures' medians; the differences are medians of each run's difference. */
    static Result median(List<Result> results) {
      long[] local = new long[4];
      long[] remote = new long[4];
      for (int i = 0; i < 4; i++) {
        int index = i;
        local[i] = median(results, r -> r.local[index]);
        remote[i] = median(results, r -> r.remote[index]);
      }
      return new Result(
          median(results, Result::published),
          median(results, Result::acknowledged),
          median(results, Result::publishErrors),
          median(results, Result::ackedPerSec),
          median(results, Result::delivered),
          local,
          remote,
          results.stream().mapToLong(Result::lost).sum(),
          results.stream().mapToLong(Result::gaps).sum(),
          results.stream().mapToLong(Result::duplicates).sum(),
          results.stream().mapToLong(Result::closedByNode).sum(),
          median(results, Result::addedP50),
          median(results, Result::addedP99));
    }

    private static long median(List<Result> results, ToLongFunction<Result> figure) {
      long[] values = results.stream().mapToLong(figure).sorted().toArray();
      int n = values.length;
      return n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
    }

    String json(Settings s, String kind, int run) {
      return String.format(
          Locale.ROOT,
          "{\"scenario\":\"cross-node-latency\",\"label\":\"%s\",\"kind\":\"%s\",\"run\":%d,"
              + "\"subscribersPerNode\":%d,\"rate\":%d,\"seconds\":%d,\"publishers\":%d,"
              + "\"published\":%d,\"acknowledged\":%d,\"publishErrors\":%d,\"ackedPerSec\":%d,"
              + "\"delivered\":%d,"
              + "\"localP50us\":%d,\"localP99us\":%d,\"localP999us\":%d,\"localMaxus\":%d,"
              + "\"remoteP50us\":%d,\"remoteP99us\":%d,\"remoteP999us\":%d,\"remoteMaxus\":%d,"
              + "\"addedP50us\":%d,\"addedP99us\":%d,\"lost\":%d,\"gaps\":%d,\"duplicates\":%d,"
              + "\"closedByNode\":%d}",
          s.label(),
          kind,
          run,
          s.subscribers(),
          s.rate(),
          s.seconds(),
          s.publishers(),
          published,
          acknowledged,
          publishErrors,
          ackedPerSec,
          delivered,
          local[0],
          local[1],
          local[2],
          local[3],
          remote[0],
          remote[1],
          remote[2],
          remote[3],
          addedP50,
          addedP99,
          lost,
          gaps,
          duplicates,
          closedByNode);
    }
  }

  /** One bounded run on a fresh channel. */
  static final class Run {
    private final HttpClient.WebsocketSender client;
    private final Settings s;
    private final boolean warmup;
    private final String channel = "xnode:" + Long.toString(System.nanoTime(), 36);
    private final Recorder local = new Recorder(3);
    private final Recorder remote = new Recorder(3);
    private final AtomicLong delivered = new AtomicLong();
    private final AtomicLong acknowledged = new AtomicLong();
    private final AtomicLong publishErrors = new AtomicLong();
    private final AtomicLong sequence = new AtomicLong();
    private final AtomicLong lastReply = new AtomicLong();
    private final AtomicLong closedByNode = new AtomicLong();
    private long publishStart;
    private final int nodes;
    private final long[] lastOffset;
    private final long[] received;
    private final long[] gaps;
    private final long[] duplicates;

    Run(HttpClient.WebsocketSender client, Settings settings, boolean warmup) {
      this.client = client;
      this.s = settings;
      this.warmup = warmup;
      this.nodes = settings.portB() > 0 ? 2 : 1;
      int total = settings.subscribers() * nodes;
      this.lastOffset = new long[total];
      this.received = new long[total];
      this.gaps = new long[total];
      this.duplicates = new long[total];
    }

    Result execute() throws InterruptedException {
      int total = s.subscribers() * nodes;
      CountDownLatch subscribed = new CountDownLatch(total);
      List<Disposable> connections = new ArrayList<>();
      for (int i = 0; i < total; i++) {
        boolean onA = i < s.subscribers();
        connections.add(subscriber(i, onA ? s.portA() : s.portB(), onA, subscribed));
      }
      if (!subscribed.await(60, TimeUnit.SECONDS)) {
        throw new IllegalStateException(
            "subscribers not ready: " + subscribed.getCount() + " left");
      }
      local.reset();
      remote.reset();
      long published = publish(connections);
      long expected = published * total;
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (delivered.get() < expected && System.nanoTime() < deadline) {
        Thread.sleep(20);
      }
      connections.forEach(Disposable::dispose);
      long lost = 0;
      for (long count : received) {
        lost += Math.max(0, published - count);
      }
      return Result.of(
          published,
          acknowledged.get(),
          publishErrors.get(),
          acknowledged.get() * 1_000_000_000L / Math.max(1, lastReply.get() - publishStart),
          delivered.get(),
          percentiles(local.getIntervalHistogram()),
          nodes == 2 ? percentiles(remote.getIntervalHistogram()) : new long[] {-1, -1, -1, -1},
          lost,
          Arrays.stream(gaps).sum(),
          Arrays.stream(duplicates).sum(),
          closedByNode.get());
    }

    private static long[] percentiles(Histogram histogram) {
      return new long[] {
        histogram.getValueAtPercentile(50) / 1000,
        histogram.getValueAtPercentile(99) / 1000,
        histogram.getValueAtPercentile(99.9) / 1000,
        histogram.getMaxValue() / 1000
      };
    }

    private Disposable subscriber(int index, int port, boolean onA, CountDownLatch subscribed) {
      String subscribe = "{\"id\":1,\"op\":\"subscribe\",\"channel\":\"" + channel + "\"}";
      Recorder latency = onA ? local : remote;
      return client
          .uri("ws://" + s.host() + ":" + port + "/ws")
          .handle(
              (in, out) ->
                  out.sendString(Mono.just(subscribe))
                      .then()
                      .and(
                          in.receiveFrames()
                              .map(WebSocketFrame::content)
                              .map(content -> content.toString(StandardCharsets.UTF_8))
                              .doOnNext(text -> onFrame(index, latency, text, subscribed))))
          .subscribe(
              null,
              error -> closedByNode.incrementAndGet(),
              // The node ended the connection (e.g. 4008, a slow consumer): we only ever dispose.
              closedByNode::incrementAndGet);
    }

    private void onFrame(int index, Recorder latency, String text, CountDownLatch subscribed) {
      if (text.startsWith("{\"id\":1,")) {
        if (text.contains("\"error\"")) {
          System.err.println("subscribe refused: " + text);
          return;
        }
        lastOffset[index] = TimedFrames.number(text, text.indexOf("\"offset\":") + 9);
        subscribed.countDown();
        return;
      }
      int tAt = text.indexOf("\"t\":");
      int offsetAt = text.indexOf("\"offset\":");
      if (tAt < 0 || offsetAt < 0) {
        return;
      }
      long now = System.nanoTime();
      latency.recordValue(Math.max(0, now - TimedFrames.number(text, tAt + 4)));
      delivered.incrementAndGet();
      received[index]++;
      // Frames of one connection arrive on one event-loop thread, in order.
      long offset = TimedFrames.number(text, offsetAt + 9);
      long last = lastOffset[index];
      if (offset <= last) {
        duplicates[index]++;
      } else {
        if (offset != last + 1) {
          gaps[index]++;
        }
        lastOffset[index] = offset;
      }
    }

    /**
     * Publishes {@code rate}/s for {@code seconds} over {@code publishers} connections to node A,
     * paced by the clock (a late tick sends what is due), and waits for every reply; returns how
     * many were sent.
     */
    private long publish(List<Disposable> connections) throws InterruptedException {
      long total = (long) s.rate() * s.seconds();
      long start = System.nanoTime();
      publishStart = start;
      CountDownLatch done = new CountDownLatch(s.publishers());
      for (int p = 0; p < s.publishers(); p++) {
        int publisher = p;
        // Each publisher sends the publications whose number is its own modulo publishers.
        AtomicLong next = new AtomicLong(publisher + 1);
        Flux<String> frames =
            Flux.interval(Duration.ofMillis(1))
                .onBackpressureDrop()
                .map(tick -> due(start, total))
                .takeUntil(due -> due >= total)
                .concatMapIterable(due -> batch(next, due))
                .doFinally(signal -> done.countDown());
        connections.add(
            client
                .uri("ws://" + s.host() + ":" + s.portA() + "/ws")
                .handle(
                    (in, out) ->
                        out.sendString(frames)
                            .then()
                            .and(in.receive().asString().doOnNext(this::onReply)))
                .subscribe(null, error -> System.err.println("publisher: " + error)));
      }
      if (!done.await(s.seconds() + 30L, TimeUnit.SECONDS)) {
        throw new IllegalStateException("publishers did not finish");
      }
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (acknowledged.get() + publishErrors.get() < total && System.nanoTime() < deadline) {
        Thread.sleep(20);
      }
      return sequence.get();
    }

    private long due(long start, long total) {
      long elapsed = System.nanoTime() - start;
      return Math.min(total, elapsed * s.rate() / 1_000_000_000L);
    }

    private List<String> batch(AtomicLong next, long due) {
      List<String> batch = new ArrayList<>();
      while (next.get() <= due) {
        long n = next.getAndAdd(s.publishers());
        sequence.incrementAndGet();
        batch.add(TimedFrames.publish(n, channel));
      }
      return batch;
    }

    private void onReply(String text) {
      lastReply.set(System.nanoTime());
      if (text.contains("\"error\"")) {
        if (publishErrors.incrementAndGet() <= 3 && !warmup) {
          System.err.println("publish refused: " + text);
        }
      } else {
        acknowledged.incrementAndGet();
      }
    }
  }
}
