package herald.transport.websocket;

import static java.util.concurrent.TimeUnit.MILLISECONDS;

import herald.observability.TransportMetrics;
import herald.protocol.FrameCodec;
import herald.protocol.Push;
import herald.protocol.ServerFrame;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import java.time.Duration;
import java.util.Queue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.util.concurrent.Queues;

/**
 * Writes one connection's outbound frames straight to its Netty channel, on the channel's event
 * loop, with one flush for everything that queued up since the last one.
 *
 * <p>Any thread may {@link #offer}: frames wait in a lock-free queue bounded in count, and the
 * first one to arrive schedules a drain on the event loop, which writes what is queued and flushes
 * once. Delivering a publication to a subscriber therefore costs a queue insert on the delivering
 * thread and a write on the event loop; no per-frame operator chain, no flush per frame. The
 * publication's encoded bytes are shared by every subscriber (see {@link FrameCodec#encode}).
 *
 * <p>The writer hands frames to Netty only while the channel is writable (its outbound buffer under
 * the high water mark) and resumes when it becomes writable again ({@link WritabilityRelay}). A
 * client that reads too slowly therefore leaves frames here until {@link #offer} refuses: the
 * caller closes it as a slow consumer.
 */
final class ChannelWriter implements Runnable {

  private static final Object PING = new Object();

  /** Wraps the last frame, after which nothing more is written. */
  private record Last(ServerFrame frame) {}

  /** Wraps a publication replayed from history: delivered, but its lag is not timed. */
  private record Replayed(Push.Message message) {}

  private static final AtomicIntegerFieldUpdater<ChannelWriter> WIP =
      AtomicIntegerFieldUpdater.newUpdater(ChannelWriter.class, "wip");

  private final Channel channel;
  private final FrameCodec codec;
  private final int capacity;
  private final Duration finishGrace;
  private final TransportMetrics metrics;
  private final Queue<Object> pending = Queues.unboundedMultiproducer().get();
  private final AtomicInteger queued = new AtomicInteger();
  private final Sinks.Empty<Void> written = Sinks.empty();
  private volatile int wip;
  private volatile boolean discarding;
  private boolean done;
  // What the current drain wrote, for the metrics; the event loop's alone, like done.
  private int batchPublications;
  private long batchOldest = TransportMetrics.NOT_TIMED;

  /**
   * @param finishGrace how long the frames up to the one given to {@link #finish} may take to go
   *     out before the channel is closed with them
   * @param metrics where written publications are counted and their lag timed, once per drain
   */
  ChannelWriter(
      Channel channel,
      FrameCodec codec,
      int capacity,
      Duration finishGrace,
      TransportMetrics metrics) {
    this.channel = channel;
    this.codec = codec;
    this.capacity = capacity;
    this.finishGrace = finishGrace;
    this.metrics = metrics;
  }

  /**
   * Queues {@code frame}. Returns {@code false}, queuing nothing, when {@code capacity} frames are
   * already waiting.
   */
  boolean offer(ServerFrame frame) {
    return queue(frame);
  }

  /** {@link #offer}s a publication replayed from history. */
  boolean offerReplayed(Push.Message message) {
    return queue(new Replayed(message));
  }

  /** Queues a ping, unless the queue is full (the connection is about to close then anyway). */
  void ping() {
    queue(PING);
  }

  private boolean queue(Object item) {
    if (queued.incrementAndGet() > capacity) {
      queued.decrementAndGet();
      return false;
    }
    pending.offer(item);
    drainLater();
    return true;
  }

  /**
   * Queues {@code last} even when the queue is full; once it is written, {@link #written()}
   * completes and nothing after it is written. A client that does not read that far within the
   * finish grace has its channel closed, with what is left: otherwise it could hold the connection
   * (and what is buffered for it) for as long as it kept its socket open without reading.
   */
  void finish(ServerFrame last) {
    pending.offer(new Last(last));
    drainLater();
    channel.eventLoop().schedule(this::dropIfUnfinished, finishGrace.toMillis(), MILLISECONDS);
  }

  private void dropIfUnfinished() {
    if (!done) {
      pending.clear();
      end();
      channel.close();
    }
  }

  /** Drops what is queued and writes nothing more; {@link #written()} completes. */
  void discard() {
    discarding = true;
    drainLater();
  }

  /**
   * Completes once the writer is done: after the frame given to {@link #finish}, or at once when
   * the rest is discarded or the channel closed. Completes on the channel's event loop, so what the
   * subscriber writes then (the close frame) goes out after the last frame.
   */
  Mono<Void> written() {
    return written.asMono();
  }

  /** Resumes writing when the channel became writable again. */
  void writable() {
    drainLater();
  }

  private void drainLater() {
    if (WIP.getAndIncrement(this) == 0) {
      channel.eventLoop().execute(this);
    }
  }

  /** The drain; runs on the channel's event loop only. */
  @Override
  public void run() {
    int missed = 1;
    do {
      drain();
      missed = WIP.addAndGet(this, -missed);
    } while (missed != 0);
  }

  private void drain() {
    if (done || discarding || !channel.isActive()) {
      pending.clear();
      end();
      return;
    }
    // A promise that reports nothing: a write to a channel that closed meanwhile just fails, and
    // the connection's end is handled where the close is seen, not per frame.
    ChannelPromise ignored = channel.unsafe().voidPromise();
    boolean wrote = false;
    Object item;
    while (channel.isWritable() && (item = pending.poll()) != null) {
      if (item instanceof Last last) {
        channel.write(frameOf(last.frame()), ignored);
        channel.flush();
        pending.clear();
        end();
        counted();
        return;
      }
      queued.decrementAndGet();
      channel.write(frameFor(item), ignored);
      wrote = true;
    }
    if (wrote) {
      channel.flush();
    }
    counted();
  }

  private WebSocketFrame frameFor(Object item) {
    if (item == PING) {
      return new PingWebSocketFrame();
    }
    if (item instanceof Replayed replayed) {
      batchPublications++;
      return frameOf(replayed.message());
    }
    if (item instanceof Push.Message message) {
      batchPublications++;
      batchOldest = Math.min(batchOldest, message.publication().ts());
    }
    return frameOf((ServerFrame) item);
  }

  /** Counts the drain's publications and times its oldest live one: once per drain, not frame. */
  private void counted() {
    if (batchPublications > 0) {
      metrics.delivered(batchPublications, batchOldest);
      batchPublications = 0;
      batchOldest = TransportMetrics.NOT_TIMED;
    }
  }

  private void end() {
    done = true;
    written.tryEmitEmpty();
  }

  private WebSocketFrame frameOf(ServerFrame frame) {
    // Wrapping shares the array (no copy); the frame encoder copies it into the socket's buffer.
    var payload = Unpooled.wrappedBuffer(codec.encode(frame));
    return codec.binary() ? new BinaryWebSocketFrame(payload) : new TextWebSocketFrame(payload);
  }
}
