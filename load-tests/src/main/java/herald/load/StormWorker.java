package herald.load;

import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;
import reactor.netty.http.client.HttpClient;
import reactor.netty.http.client.WebsocketClientSpec;
import reactor.netty.resources.ConnectionProvider;
import reactor.netty.resources.LoopResources;

/**
 * One process of reconnecting WebSocket subscribers for the reconnect storm ({@link
 * ReconnectStorm}). Each subscriber holds one channel on the first node; when its connection ends
 * it reconnects to one of the surviving nodes after an exponential backoff with full jitter (a
 * random delay between 0 and {@code min(cap, base * 2^attempt)}), and subscribes with {@code since}
 * = the last offset and epoch it received, so the node replays what it missed. It checks every
 * publication's offset: a lower or equal one is a duplicate, a jump is a gap.
 *
 * <pre>
 * open COUNT SOURCE_IP RECONNECT_SOURCE_IP CONCURRENCY -> opened OK FAILED
 * status MARK [SINCE_NANOS] -> status SUBSCRIBED REACHED SHORTFALL DELIVERED DUPLICATES GAPS
 *                       NOT_RECOVERED RECONNECTS LAST_SUBSCRIBED_NANOS ERRORS SUBSCRIBED_SINCE
 *                       ENDED_SINCE
 *   SUBSCRIBED_SINCE: subscribed now, by a subscribe answered at or after SINCE_NANOS
 *   ENDED_SINCE: subscribers whose connection ended at or after SINCE_NANOS
 *   REACHED: subscribers whose last offset is at least MARK; SHORTFALL: the sum of what they lack
 * exit
 * </pre>
 *
 * <p>Arguments: {@code host firstPort survivorPorts(comma-separated) channel baseMillis capMillis}.
 * Behind a proxy both are the proxy's port: it spreads the first connections over the nodes and
 * sends the reconnects to the survivors.
 */
public final class StormWorker {

  private static final byte[] OFFSET = Bytes.ascii("\"offset\":");
  private static final byte[] EPOCH = Bytes.ascii("\"epoch\":\"");
  private static final byte[] NOT_RECOVERED = Bytes.ascii("\"recovered\":false");

  private final String host;
  private final int firstPort;
  private final int[] survivors;
  private final String channel;
  private final long baseMillis;
  private final long capMillis;
  private final LoopResources loops = LoopResources.create("storm", 1, true);
  private final Scheduler timers = Schedulers.newSingle("storm-timer", true);
  private final List<Subscriber> subscribers = new ArrayList<>();
  private final AtomicInteger subscribed = new AtomicInteger();
  private final LongAdder delivered = new LongAdder();
  private final LongAdder duplicates = new LongAdder();
  private final LongAdder gaps = new LongAdder();
  private final LongAdder notRecovered = new LongAdder();
  private final LongAdder reconnects = new LongAdder();
  private final LongAdder errors = new LongAdder();
  private final AtomicInteger connectErrors = new AtomicInteger();
  private final AtomicLong lastSubscribedNanos = new AtomicLong();
  private volatile boolean stopping;
  private String reconnectSource = "127.0.0.1";

  private StormWorker(String[] args) {
    host = args[0];
    Loopback.require(host);
    firstPort = Integer.parseInt(args[1]);
    String[] ports = args[2].split(",");
    survivors = new int[ports.length];
    for (int i = 0; i < ports.length; i++) {
      survivors[i] = Integer.parseInt(ports[i]);
    }
    channel = args[3];
    baseMillis = Long.parseLong(args[4]);
    capMillis = Long.parseLong(args[5]);
  }

  public static void main(String[] args) throws Exception {
    StormWorker worker = new StormWorker(args);
    BufferedReader in =
        new BufferedReader(new InputStreamReader(System.in, StandardCharsets.US_ASCII));
    String line;
    while ((line = in.readLine()) != null) {
      String[] cmd = line.trim().split(" ");
      switch (cmd[0]) {
        case "open" -> answer(worker.open(cmd));
        case "status" ->
            answer(
                worker.status(Long.parseLong(cmd[1]), cmd.length > 2 ? Long.parseLong(cmd[2]) : 0));
        case "exit" -> {
          worker.stopping = true;
          System.exit(0);
        }
        default -> answer("error unknown command " + cmd[0]);
      }
    }
    System.exit(0);
  }

  private static void answer(String line) {
    System.out.println(line);
    System.out.flush();
  }

  private String open(String[] cmd) {
    int count = Integer.parseInt(cmd[1]);
    String source = cmd[2];
    reconnectSource = cmd[3];
    int concurrency = Integer.parseInt(cmd[4]);
    AtomicInteger ok = new AtomicInteger();
    AtomicInteger failed = new AtomicInteger();
    Flux.range(0, count)
        .flatMap(
            i -> {
              Subscriber s = new Subscriber();
              synchronized (subscribers) {
                subscribers.add(s);
              }
              s.connect(firstPort, source);
              return s.firstReady
                  .asMono()
                  .timeout(Duration.ofSeconds(60))
                  .doOnSuccess(v -> ok.incrementAndGet())
                  .onErrorResume(
                      e -> {
                        failed.incrementAndGet();
                        return Mono.empty();
                      });
            },
            concurrency)
        .blockLast();
    return "opened " + ok.get() + " " + failed.get();
  }

  private String status(long mark, long sinceNanos) {
    long reached = 0;
    long shortfall = 0;
    long subscribedSince = 0;
    long endedSince = 0;
    synchronized (subscribers) {
      for (Subscriber s : subscribers) {
        if (s.isSubscribed && s.subscribedAt >= sinceNanos) {
          subscribedSince++;
        }
        if (s.endedAt != 0 && s.endedAt >= sinceNanos) {
          endedSince++;
        }
        long last = s.lastOffset;
        if (last >= mark) {
          reached++;
        } else {
          shortfall += mark - Math.max(0, last);
        }
      }
    }
    return String.join(
        " ",
        "status",
        Integer.toString(subscribed.get()),
        Long.toString(reached),
        Long.toString(shortfall),
        Long.toString(delivered.sum()),
        Long.toString(duplicates.sum()),
        Long.toString(gaps.sum()),
        Long.toString(notRecovered.sum()),
        Long.toString(reconnects.sum()),
        Long.toString(lastSubscribedNanos.get()),
        Long.toString(errors.sum()),
        Long.toString(subscribedSince),
        Long.toString(endedSince));
  }

  /** One subscriber; its fields are touched only on the worker's single event-loop thread. */
  private final class Subscriber {
    final Sinks.Empty<Void> firstReady = Sinks.empty();
    volatile long lastOffset = -1; // -1 until the first subscribe reply or publication
    volatile String epoch;
    volatile boolean isSubscribed;
    volatile long subscribedAt;
    volatile long endedAt; // 0 until a connection of this subscriber ends
    boolean everSubscribed;
    int attempt;
    volatile Sinks.Many<String> frames;

    void connect(int port, String source) {
      Sinks.Many<String> outbound = Sinks.many().unicast().onBackpressureBuffer();
      frames = outbound;
      outbound.tryEmitNext(subscribeFrame());
      HttpClient.create(ConnectionProvider.newConnection())
          .runOn(loops)
          .bindAddress(() -> new InetSocketAddress(source, 0))
          .websocket(
              WebsocketClientSpec.builder()
                  .protocols("herald.json")
                  .maxFramePayloadLength(1 << 20)
                  .build())
          .uri("ws://" + host + ":" + port + "/ws")
          .handle(
              (in, out) ->
                  out.sendString(outbound.asFlux())
                      .then()
                      .and(
                          in.receiveFrames()
                              .doOnNext(
                                  frame -> {
                                    if (frame instanceof TextWebSocketFrame) {
                                      onFrame(frame.content());
                                    }
                                  })))
          .subscribe(
              null,
              e -> {
                if (connectErrors.getAndIncrement() < 5) {
                  System.err.println("connection ended: " + e);
                }
                ended(outbound);
              },
              () -> ended(outbound));
    }

    /**
     * A subscribe, with {@code since} once the subscriber has a position to recover from; offset 0
     * (subscribed before the first publication) is one: without it, the resubscribe would start
     * after whatever was published while it was away.
     */
    String subscribeFrame() {
      long last = lastOffset;
      String since =
          last >= 0 && epoch != null
              ? ",\"since\":{\"offset\":" + last + ",\"epoch\":\"" + epoch + "\"}"
              : "";
      return "{\"id\":1,\"op\":\"subscribe\",\"channel\":\"" + channel + "\"" + since + "}";
    }

    long backoffMillis() {
      long ceiling = Math.min(capMillis, baseMillis << Math.min(attempt, 20));
      attempt++;
      return ThreadLocalRandom.current().nextLong(ceiling + 1);
    }

    void onFrame(ByteBuf content) {
      int from = content.readerIndex();
      int to = content.writerIndex();
      if (Bytes.startsWith(content, from, to, Bytes.REPLY)) {
        if (Bytes.indexOf(content, from, to, Bytes.ERROR) >= 0) {
          // refused (e.g. 503 while the node's Redis calls time out): try again after a backoff,
          // as a client would, on the same connection
          errors.increment();
          if (errors.sum() <= 3) {
            System.err.println("subscribe refused: " + content.toString(StandardCharsets.UTF_8));
          }
          Sinks.Many<String> outbound = frames;
          timers.schedule(
              () -> outbound.tryEmitNext(subscribeFrame()),
              backoffMillis(),
              java.util.concurrent.TimeUnit.MILLISECONDS);
          return;
        }
        if (Bytes.indexOf(content, from, to, NOT_RECOVERED) >= 0 && everSubscribed) {
          notRecovered.increment();
        }
        if (lastOffset < 0) {
          lastOffset = Bytes.number(content, from, to, OFFSET);
        }
        readEpoch(content, from, to);
        subscribedAt = System.nanoTime();
        isSubscribed = true;
        everSubscribed = true;
        attempt = 0;
        subscribed.incrementAndGet();
        lastSubscribedNanos.accumulateAndGet(System.nanoTime(), Math::max);
        firstReady.tryEmitEmpty();
        return;
      }
      long offset = Bytes.number(content, from, to, OFFSET);
      if (offset < 0) {
        return; // not a publication
      }
      delivered.increment();
      if (epoch == null) {
        readEpoch(content, from, to);
      }
      long last = lastOffset;
      if (last < 0) {
        lastOffset = offset;
      } else if (offset <= last) {
        duplicates.increment();
      } else {
        if (offset != last + 1) {
          gaps.add(offset - last - 1);
        }
        lastOffset = offset;
      }
    }

    void readEpoch(ByteBuf content, int from, int to) {
      int at = Bytes.indexOf(content, from, to, EPOCH);
      if (at < 0) {
        return;
      }
      int start = at + EPOCH.length;
      int end = start;
      while (end < to && content.getByte(end) != '"') {
        end++;
      }
      epoch = content.toString(start, end - start, StandardCharsets.US_ASCII);
    }

    void ended(Sinks.Many<String> outbound) {
      if (outbound != frames) {
        return; // an older connection
      }
      endedAt = System.nanoTime();
      if (isSubscribed) {
        isSubscribed = false;
        subscribed.decrementAndGet();
      }
      if (stopping) {
        return;
      }
      reconnects.increment();
      long delay = backoffMillis();
      int port = survivors[ThreadLocalRandom.current().nextInt(survivors.length)];
      timers.schedule(
          () -> connect(port, reconnectSource), delay, java.util.concurrent.TimeUnit.MILLISECONDS);
    }
  }
}
