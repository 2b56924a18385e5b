package herald.load;

import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
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
 * Publish-to-delivery latency over several channels, so that on a Redis Cluster they spread over
 * the masters, and the delivery gap when a Redis process is killed mid-run (README "Redis
 * Cluster"). One WebSocket subscriber on node A and one on node B hold {@code channels} channels;
 * one WebSocket publisher per channel on node A publishes {@code rate / channels} per second for
 * {@code seconds} (one connection per channel: a connection's commands run one after the other on
 * the node, so a publication stalled on a dead master stalls only its own channel).
 *
 * <p>Every publication carries its number and send time; every delivery's latency (one clock) goes
 * into one histogram. Per subscriber and channel it counts {@code gaps} (an offset skipped within
 * an epoch), {@code duplicates} (an offset again or going back in one epoch) and {@code resets}
 * (a {@code reset} push: the node said the channel's history was lost). At the end each
 * acknowledged publication a subscriber never received counts as {@code lostAfterReset} when that
 * subscriber was told of a reset on its channel, else as {@code lostSilently}. {@code maxGapMs} is
 * the longest time between two deliveries of one channel at one subscriber, over the run ({@code
 * gappedChannels}: channels with a gap over one second).
 *
 * <p>With {@code killPid} above 0, the process with that PID gets SIGKILL {@code killAt} seconds
 * into the measured run (the failover run); {@code firstErrorAfterKillMs} and {@code
 * lastErrorAfterKillMs} bound when publishes were refused (503).
 *
 * <p>Runs a warm-up of {@code seconds} first (not reported), then one run, printing one JSON line.
 * Loopback only; bounded in count and time.
 *
 * <p>Arguments: {@code host portA portB channels rate seconds label [killPid killAt]}.
 */
public final class ClusterLatency {

  private ClusterLatency() {}

  public static void main(String[] args) throws Exception {
    String host = args[0];
    int portA = Integer.parseInt(args[1]);
    int portB = Integer.parseInt(args[2]);
    int channels = Integer.parseInt(args[3]);
    int rate = Integer.parseInt(args[4]);
    int seconds = Integer.parseInt(args[5]);
    String label = args[6];
    long killPid = args.length > 7 ? Long.parseLong(args[7]) : 0;
    int killAt = args.length > 8 ? Integer.parseInt(args[8]) : 0;
    Loopback.require(host);
    HttpClient.WebsocketSender client =
        HttpClient.create(ConnectionProvider.newConnection())
            .runOn(LoopResources.create("clat", 2, true))
            .websocket(
                WebsocketClientSpec.builder()
                    .protocols("herald.json")
                    .maxFramePayloadLength(1 << 20)
                    .build());
    new Run(client, host, portA, portB, channels, rate, seconds, 0, 0).execute();
    Run run = new Run(client, host, portA, portB, channels, rate, seconds, killPid, killAt);
    run.execute();
    System.out.println(run.json(label));
    run.errorSamples.forEach(sample -> System.err.println("publish refused: " + sample));
    System.exit(0);
  }

  /** One bounded run on fresh channels. */
  static final class Run {
    private final HttpClient.WebsocketSender client;
    private final String host;
    private final int[] ports;
    private final int channels;
    private final int rate;
    private final int seconds;
    private final long killPid;
    private final int killAt;
    private final String prefix = "clat-" + Long.toString(System.nanoTime(), 36) + "-";
    private final Recorder latency = new Recorder(3);
    private final AtomicLong delivered = new AtomicLong();
    private final AtomicLong acknowledged = new AtomicLong();
    private final AtomicLong publishErrors = new AtomicLong();
    private final AtomicLong published = new AtomicLong();
    private final AtomicLong firstErrorAt = new AtomicLong();
    private final AtomicLong lastErrorAt = new AtomicLong();
    private final BitSet acked = new BitSet();
    private final AtomicLongArray errorsByChannel;
    private final Set<String> errorSamples = ConcurrentHashMap.newKeySet();
    private final PerChannel state;
    private final AtomicLong closedByNode = new AtomicLong();
    private volatile long killedAt;
    private Histogram histogram;

    Run(
        HttpClient.WebsocketSender client,
        String host,
        int portA,
        int portB,
        int channels,
        int rate,
        int seconds,
        long killPid,
        int killAt) {
      this.client = client;
      this.host = host;
      this.ports = new int[] {portA, portB};
      this.channels = channels;
      this.rate = rate;
      this.seconds = seconds;
      this.killPid = killPid;
      this.killAt = killAt;
      this.state = new PerChannel(ports.length, channels);
      this.errorsByChannel = new AtomicLongArray(channels);
    }

    void execute() throws InterruptedException {
      CountDownLatch subscribed = new CountDownLatch(ports.length * channels);
      List<Disposable> connections = new ArrayList<>();
      for (int s = 0; s < ports.length; s++) {
        connections.add(subscriber(s, subscribed));
      }
      if (!subscribed.await(60, TimeUnit.SECONDS)) {
        throw new IllegalStateException("subscribers not ready: " + subscribed.getCount());
      }
      latency.reset();
      long start = System.nanoTime();
      if (killPid > 0) {
        Thread killer =
            new Thread(
                () -> {
                  try {
                    Thread.sleep(killAt * 1000L);
                  } catch (InterruptedException e) {
                    return;
                  }
                  killedAt = System.nanoTime();
                  // SIGKILL, as kill -9: the process the script named by its PID, nothing else.
                  ProcessHandle.of(killPid).ifPresent(ProcessHandle::destroyForcibly);
                },
                "killer");
        killer.setDaemon(true);
        killer.start();
      }
      publish(start, connections);
      long expected = acknowledged.get() * ports.length;
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
      while (delivered.get() < expected && System.nanoTime() < deadline) {
        Thread.sleep(20);
      }
      Thread.sleep(500);
      connections.forEach(Disposable::dispose);
      histogram = latency.getIntervalHistogram();
    }

    private Disposable subscriber(int s, CountDownLatch subscribed) {
      List<String> frames = new ArrayList<>();
      for (int c = 0; c < channels; c++) {
        frames.add(
            "{\"id\":" + (c + 1) + ",\"op\":\"subscribe\",\"channel\":\"" + prefix + c + "\"}");
      }
      return client
          .uri("ws://" + host + ":" + ports[s] + "/ws")
          .handle(
              (in, out) ->
                  out.sendString(Flux.fromIterable(frames))
                      .then()
                      .and(
                          in.receiveFrames()
                              .map(WebSocketFrame::content)
                              .map(content -> content.toString(StandardCharsets.UTF_8))
                              .doOnNext(text -> onFrame(s, text, subscribed))))
          .subscribe(null, error -> closedByNode.incrementAndGet(), closedByNode::incrementAndGet);
    }

    private void onFrame(int s, String text, CountDownLatch subscribed) {
      if (text.startsWith("{\"id\":")) {
        if (text.contains("\"error\"")) {
          System.err.println("subscribe refused: " + text);
          return;
        }
        int c = (int) TimedFrames.number(text, 6) - 1;
        state.lastOffset[s][c] = TimedFrames.number(text, text.indexOf("\"offset\":") + 9);
        state.lastDelivery[s][c] = System.nanoTime();
        subscribed.countDown();
        return;
      }
      int channelAt = text.indexOf("\"channel\":\"" + prefix);
      if (channelAt < 0) {
        return;
      }
      int c = (int) TimedFrames.number(text, channelAt + 11 + prefix.length());
      if (text.startsWith("{\"type\":\"reset\"")) {
        state.resets[s][c]++;
        state.lastOffset[s][c] = TimedFrames.number(text, text.indexOf("\"offset\":") + 9);
        return;
      }
      int tAt = text.indexOf("\"t\":");
      int seqAt = text.indexOf("\"seq\":");
      int offsetAt = text.indexOf("\"offset\":");
      if (tAt < 0 || seqAt < 0 || offsetAt < 0) {
        return;
      }
      long now = System.nanoTime();
      latency.recordValue(Math.max(0, now - TimedFrames.number(text, tAt + 4)));
      delivered.incrementAndGet();
      // Frames of one connection arrive on one event-loop thread, in order.
      state.received[s].set((int) TimedFrames.number(text, seqAt + 6));
      long gap = now - state.lastDelivery[s][c];
      state.maxGap[s][c] = Math.max(state.maxGap[s][c], gap);
      state.lastDelivery[s][c] = now;
      long offset = TimedFrames.number(text, offsetAt + 9);
      long last = state.lastOffset[s][c];
      if (offset <= last) {
        state.duplicates[s][c]++;
      } else {
        if (offset != last + 1) {
          state.gaps[s][c]++;
        }
        state.lastOffset[s][c] = offset;
      }
    }

    /**
     * One publisher connection per channel, each paced by the clock at {@code rate / channels}
     * (a late tick sends what is due); publication numbers are global, {@code n % channels} is
     * the channel. Waits for every reply (bounded).
     */
    private void publish(long start, List<Disposable> connections) throws InterruptedException {
      long total = (long) rate * seconds;
      CountDownLatch done = new CountDownLatch(channels);
      for (int c = 0; c < channels; c++) {
        int channel = c;
        AtomicLong next = new AtomicLong(channels + c);
        Flux<String> frames =
            Flux.interval(Duration.ofMillis(1))
                .onBackpressureDrop()
                .map(tick -> due(start, total))
                .takeUntil(due -> due >= total + channels)
                .concatMapIterable(due -> batch(channel, next, due))
                .doFinally(signal -> done.countDown());
        connections.add(
            client
                .uri("ws://" + host + ":" + ports[0] + "/ws")
                .handle(
                    (in, out) ->
                        out.sendString(frames)
                            .then()
                            .and(in.receive().asString().doOnNext(this::onReply)))
                .subscribe(null, error -> System.err.println("publisher: " + error)));
      }
      if (!done.await(seconds + 30L, TimeUnit.SECONDS)) {
        throw new IllegalStateException("publishers did not finish");
      }
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (acknowledged.get() + publishErrors.get() < published.get()
          && System.nanoTime() < deadline) {
        Thread.sleep(20);
      }
    }

    private long due(long start, long total) {
      long elapsed = System.nanoTime() - start;
      return channels + Math.min(total, elapsed * rate / 1_000_000_000L);
    }

    private List<String> batch(int channel, AtomicLong next, long due) {
      List<String> batch = new ArrayList<>();
      while (next.get() < due) {
        long n = next.getAndAdd(channels);
        published.incrementAndGet();
        batch.add(TimedFrames.publish(n, prefix + channel));
      }
      return batch;
    }

    private void onReply(String text) {
      int n = (int) TimedFrames.number(text, 6);
      if (text.contains("\"error\"")) {
        long now = System.nanoTime();
        firstErrorAt.compareAndSet(0, now);
        lastErrorAt.set(now);
        publishErrors.incrementAndGet();
        errorsByChannel.incrementAndGet(n % channels);
        if (errorSamples.size() < 3) {
          // The reply without its id: the distinct refusals.
          errorSamples.add(text.substring(text.indexOf(',') + 1));
        }
      } else {
        synchronized (acked) {
          acked.set(n);
        }
        acknowledged.incrementAndGet();
      }
    }

    String json(String label) {
      long lostSilently = 0;
      long lostAfterReset = 0;
      long gaps = 0;
      long duplicates = 0;
      long resets = 0;
      long maxGap = 0;
      int gappedChannels = 0;
      List<Long> gapMsByChannel = new ArrayList<>();
      List<Long> errors = new ArrayList<>();
      List<Integer> slots = new ArrayList<>();
      for (int c = 0; c < channels; c++) {
        slots.add(slot(prefix + c));
        long channelGap = 0;
        for (int s = 0; s < ports.length; s++) {
          gaps += state.gaps[s][c];
          duplicates += state.duplicates[s][c];
          resets += state.resets[s][c];
          channelGap = Math.max(channelGap, state.maxGap[s][c]);
        }
        maxGap = Math.max(maxGap, channelGap);
        gapMsByChannel.add(channelGap / 1_000_000);
        errors.add(errorsByChannel.get(c));
        if (channelGap > TimeUnit.SECONDS.toNanos(1)) {
          gappedChannels++;
        }
      }
      synchronized (acked) {
        for (int n = acked.nextSetBit(0); n >= 0; n = acked.nextSetBit(n + 1)) {
          int c = n % channels;
          for (int s = 0; s < ports.length; s++) {
            if (!state.received[s].get(n)) {
              if (state.resets[s][c] > 0) {
                lostAfterReset++;
              } else {
                lostSilently++;
              }
            }
          }
        }
      }
      return String.format(
          Locale.ROOT,
          "{\"scenario\":\"cluster-latency\",\"label\":\"%s\",\"channels\":%d,\"rate\":%d,"
              + "\"seconds\":%d,\"published\":%d,\"acknowledged\":%d,\"publishErrors\":%d,"
              + "\"delivered\":%d,\"p50us\":%d,\"p99us\":%d,\"p999us\":%d,\"maxus\":%d,"
              + "\"maxGapMs\":%d,\"gappedChannels\":%d,\"killAtS\":%d,"
              + "\"firstErrorAfterKillMs\":%d,\"lastErrorAfterKillMs\":%d,"
              + "\"lostSilently\":%d,\"lostAfterReset\":%d,\"resets\":%d,\"gaps\":%d,"
              + "\"duplicates\":%d,\"closedByNode\":%d,\"gapMsByChannel\":%s,"
              + "\"errorsByChannel\":%s,\"slotByChannel\":%s}",
          label,
          channels,
          rate,
          seconds,
          published.get(),
          acknowledged.get(),
          publishErrors.get(),
          delivered.get(),
          histogram.getValueAtPercentile(50) / 1000,
          histogram.getValueAtPercentile(99) / 1000,
          histogram.getValueAtPercentile(99.9) / 1000,
          histogram.getMaxValue() / 1000,
          maxGap / 1_000_000,
          gappedChannels,
          killPid > 0 ? killAt : -1,
          sinceKillMs(firstErrorAt.get()),
          sinceKillMs(lastErrorAt.get()),
          lostSilently,
          lostAfterReset,
          resets,
          gaps,
          duplicates,
          closedByNode.get(),
          gapMsByChannel,
          errors,
          slots);
    }

    /**
     * The Redis Cluster slot of a channel's keys: CRC16 (XMODEM) of the hash tag, the channel
     * (README "Redis Cluster"), modulo 16384; to tell which channels the killed master served.
     */
    private static int slot(String channel) {
      int crc = 0;
      for (byte b : channel.getBytes(StandardCharsets.UTF_8)) {
        crc ^= (b & 0xff) << 8;
        for (int i = 0; i < 8; i++) {
          crc = (crc & 0x8000) != 0 ? (crc << 1) ^ 0x1021 : crc << 1;
        }
      }
      return (crc & 0xffff) % 16384;
    }

    private long sinceKillMs(long at) {
      return killedAt == 0 || at == 0 ? -1 : (at - killedAt) / 1_000_000;
    }
  }

  /** Per subscriber (node) and channel, written by that subscriber's event-loop thread only. */
  static final class PerChannel {
    final long[][] lastOffset;
    final long[][] lastDelivery;
    final long[][] maxGap;
    final long[][] gaps;
    final long[][] duplicates;
    final long[][] resets;
    final BitSet[] received;

    PerChannel(int subscribers, int channels) {
      lastOffset = new long[subscribers][channels];
      lastDelivery = new long[subscribers][channels];
      maxGap = new long[subscribers][channels];
      gaps = new long[subscribers][channels];
      duplicates = new long[subscribers][channels];
      resets = new long[subscribers][channels];
      received = new BitSet[subscribers];
      for (int s = 0; s < subscribers; s++) {
        received[s] = new BitSet();
      }
    }
  }
}
