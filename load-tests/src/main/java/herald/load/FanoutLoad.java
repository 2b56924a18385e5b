package herald.load;

import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.Recorder;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.netty.http.client.HttpClient;
import reactor.netty.http.client.WebsocketClientSpec;
import reactor.netty.resources.ConnectionProvider;
import reactor.netty.resources.LoopResources;

/**
 * Fan-out load: {@code subscribers} WebSocket clients on one channel, one WebSocket publisher at
 * {@code rate} publications per second for {@code seconds}. Every publication carries a sequence
 * number and its send time, so each delivery is checked for loss, duplicates and end-to-end
 * latency.
 *
 * <p>Prints one JSON line: delivered per second, p50/p99/p999 latency in microseconds, lost and
 * duplicate deliveries. Traffic goes to loopback only; the run is bounded in count and time.
 *
 * <p>Arguments: {@code host port subscribers rate seconds label}.
 */
public final class FanoutLoad {

  private FanoutLoad() {}

  public static void main(String[] args) throws Exception {
    String host = args.length > 0 ? args[0] : "127.0.0.1";
    int port = args.length > 1 ? Integer.parseInt(args[1]) : 8080;
    int subscribers = args.length > 2 ? Integer.parseInt(args[2]) : 200;
    int rate = args.length > 3 ? Integer.parseInt(args[3]) : 1000;
    int seconds = args.length > 4 ? Integer.parseInt(args[4]) : 10;
    String label = args.length > 5 ? args[5] : "run";
    Loopback.require(host);
    System.out.println(new FanoutLoad.Run(host, port, subscribers, rate, seconds, label).execute());
    System.exit(0);
  }

  /** One bounded run. */
  static final class Run {
    private final String host;
    private final int port;
    private final int subscribers;
    private final int rate;
    private final int seconds;
    private final String label;
    private final String channel = "bench:" + Long.toString(System.nanoTime(), 36);
    private final Recorder latency = new Recorder(3);
    private final AtomicLong delivered = new AtomicLong();
    private final AtomicLong duplicates = new AtomicLong();
    private final AtomicLong gaps = new AtomicLong();
    private final HttpClient.WebsocketSender client;

    Run(String host, int port, int subscribers, int rate, int seconds, String label) {
      this.host = host;
      this.port = port;
      this.subscribers = subscribers;
      this.rate = rate;
      this.seconds = seconds;
      this.label = label;
      this.client =
          HttpClient.create(ConnectionProvider.newConnection())
              .runOn(LoopResources.create("load", 1, true))
              .websocket(
                  WebsocketClientSpec.builder()
                      .protocols("herald.json")
                      .maxFramePayloadLength(1 << 20)
                      .build());
    }

    String execute() throws InterruptedException {
      CountDownLatch subscribed = new CountDownLatch(subscribers);
      List<Disposable> connections = new ArrayList<>();
      long[] lastSeq = new long[subscribers];
      for (int i = 0; i < subscribers; i++) {
        connections.add(subscriber(i, lastSeq, subscribed));
      }
      if (!subscribed.await(60, TimeUnit.SECONDS)) {
        throw new IllegalStateException(
            "subscribers not ready: " + subscribed.getCount() + " left");
      }
      latency.reset();
      long published = publish();
      // Let the last publications arrive: bounded wait until every expected delivery came.
      long expected = published * subscribers;
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (delivered.get() < expected && System.nanoTime() < deadline) {
        Thread.sleep(20);
      }
      long elapsedNanos = TimeUnit.SECONDS.toNanos(seconds);
      connections.forEach(Disposable::dispose);
      var histogram = latency.getIntervalHistogram();
      long lost = 0;
      for (long last : lastSeq) {
        lost += published - last;
      }
      return String.format(
          Locale.ROOT,
          "{\"scenario\":\"fanout\",\"label\":\"%s\",\"subscribers\":%d,\"rate\":%d,\"seconds\":%d,"
              + "\"published\":%d,\"delivered\":%d,\"deliveredPerSec\":%.0f,\"p50us\":%d,"
              + "\"p99us\":%d,\"p999us\":%d,\"maxus\":%d,\"lost\":%d,\"gaps\":%d,\"duplicates\":%d}",
          label,
          subscribers,
          rate,
          seconds,
          published,
          delivered.get(),
          delivered.get() * 1e9 / elapsedNanos,
          histogram.getValueAtPercentile(50) / 1000,
          histogram.getValueAtPercentile(99) / 1000,
          histogram.getValueAtPercentile(99.9) / 1000,
          histogram.getMaxValue() / 1000,
          lost,
          gaps.get(),
          duplicates.get());
    }

    private Disposable subscriber(int index, long[] lastSeq, CountDownLatch subscribed) {
      String subscribe = "{\"id\":1,\"op\":\"subscribe\",\"channel\":\"" + channel + "\"}";
      return client
          .uri("ws://" + host + ":" + port + "/ws")
          .handle(
              (in, out) ->
                  out.sendString(Mono.just(subscribe))
                      .then()
                      .and(
                          in.receiveFrames()
                              .map(WebSocketFrame::content)
                              .map(
                                  content ->
                                      content.toString(java.nio.charset.StandardCharsets.UTF_8))
                              .doOnNext(text -> onFrame(index, text, lastSeq, subscribed))))
          .subscribe(null, error -> System.err.println("subscriber " + index + ": " + error));
    }

    private void onFrame(int index, String text, long[] lastSeq, CountDownLatch subscribed) {
      if (text.startsWith("{\"id\":1,")) {
        subscribed.countDown();
        return;
      }
      int seqAt = text.indexOf("\"seq\":");
      if (seqAt < 0) {
        return;
      }
      long now = System.nanoTime();
      long seq = TimedFrames.number(text, seqAt + 6);
      long sent = TimedFrames.number(text, text.indexOf("\"t\":") + 4);
      latency.recordValue(Math.max(0, now - sent));
      delivered.incrementAndGet();
      // Frames of one connection arrive on one event-loop thread, in order.
      long last = lastSeq[index];
      if (seq <= last) {
        duplicates.incrementAndGet();
      } else {
        if (seq != last + 1) {
          gaps.incrementAndGet();
        }
        lastSeq[index] = seq;
      }
    }

    /** Publishes at {@code rate}/s for {@code seconds}, in 1 ms batches; returns how many. */
    private long publish() {
      AtomicLong seq = new AtomicLong();
      long total = (long) rate * seconds;
      int ticks = seconds * 1000;
      Flux<String> frames =
          Flux.interval(Duration.ofMillis(1))
              .onBackpressureDrop()
              .take(ticks)
              .concatMapIterable(
                  tick -> {
                    long due = Math.min(total, (tick + 1) * total / ticks);
                    List<String> batch = new ArrayList<>();
                    while (seq.get() < due) {
                      long n = seq.incrementAndGet();
                      batch.add(TimedFrames.publish(n, channel));
                    }
                    return batch;
                  });
      client
          .uri("ws://" + host + ":" + port + "/ws")
          .handle((in, out) -> out.sendString(frames).then().and(in.receive().then()))
          .take(Duration.ofSeconds(seconds + 2))
          .blockLast(Duration.ofSeconds(seconds + 30));
      return seq.get();
    }
  }
}
