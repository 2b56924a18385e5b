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
import io.netty.handler.codec.http.websocketx.extensions.WebSocketExtensionEncoder;
import java.time.Duration;
import java.util.Queue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.util.concurrent.Queues;

/**
 * Writes one connection's outbound frames straight to its Netty channel, on the channel's event
 * loop, with one flush for everything that queued up since the last one.
 *
 * <p>Any thread may {@link #offer}: frames are encoded there and wait in a lock-free queue bounded
 * both in count and in bytes, and the first one to arrive schedules a drain on the event loop,
 * which writes what is queued and flushes once. The publication's encoded bytes are shared by every
 * subscriber (see {@link FrameCodec#encode}); each connection that queues them counts their size
 * against its own byte bound, since each holds them until its client reads them.
 *
 * <p>A publication offered on the event loop itself, with nothing queued before it and room in the
 * channel, skips the queue: it is written and flushed at once. In a fan-out that is every
 * subscriber on the publishing thread's event loop; the queue takes what arrives from other threads
 * or must wait. Either way the frame is in place before the offer returns, so a publication
 * acknowledged to its publisher is ahead of any reply the subscriber asks for afterwards.
 *
 * <p>The writer hands frames to Netty only while the channel is writable (its outbound buffer under
 * the high water mark) and resumes when it becomes writable again ({@link WritabilityRelay}). A
 * client that reads too slowly therefore leaves frames here until {@link #offer} refuses: the
 * caller closes it as a slow consumer.
 */
final class ChannelWriter implements Runnable {

  private static final Object PING = new Object();

  /** Wraps the last frame, after which nothing more is written. */
  private record Last(byte[] frame) {}

  /** Runs when the drain reaches it, i.e. once every frame queued before it has been written. */
  private record Mark(Runnable reached) {}

  /** Wraps a publication replayed from history: delivered, but its lag is not timed. */
  private record Replayed(Push.Message message) {}

  private static final AtomicIntegerFieldUpdater<ChannelWriter> WIP =
      AtomicIntegerFieldUpdater.newUpdater(ChannelWriter.class, "wip");

  private final Channel channel;
  private final FrameCodec codec;
  private final PublicationFrames frames;
  private final int capacity;
  private final long capacityBytes;
  private final Duration finishGrace;
  private final TransportMetrics metrics;
  private final Queue<Object> pending = Queues.unboundedMultiproducer().get();
  private final AtomicInteger queued = new AtomicInteger();
  private final AtomicLong queuedBytes = new AtomicLong();
  private final Sinks.Empty<Void> written = Sinks.unsafe().empty(); // one signal, set atomically
  private volatile int wip;
  private volatile boolean discarding;
  private boolean done;
  // What the current drain wrote, for the metrics; the event loop's alone, like done.
  private int batchPublications;
  private long batchOldest = TransportMetrics.NOT_TIMED;
  private @Nullable Boolean compressed; // the event loop's alone; see compressed()

  /**
   * @param capacity most frames waiting to be written
   * @param capacityBytes most encoded bytes waiting to be written; a single frame larger than this
   *     is still taken when nothing else waits, so that one large reply does not end a client that
   *     reads
   * @param finishGrace how long the frames up to the one given to {@link #finish} may take to go
   *     out before the channel is closed with them
   * @param metrics where written publications are counted and their lag timed, once per drain
   */
  ChannelWriter(
      Channel channel,
      FrameCodec codec,
      int capacity,
      long capacityBytes,
      Duration finishGrace,
      TransportMetrics metrics) {
    this(
        channel,
        codec,
        new PublicationFrames(codec),
        capacity,
        capacityBytes,
        finishGrace,
        metrics);
  }

  /**
   * @param frames {@code codec}'s publication frames, shared by the connections of the codec
   */
  ChannelWriter(
      Channel channel,
      FrameCodec codec,
      PublicationFrames frames,
      int capacity,
      long capacityBytes,
      Duration finishGrace,
      TransportMetrics metrics) {
    this.channel = channel;
    this.codec = codec;
    this.frames = frames;
    this.capacity = capacity;
    this.capacityBytes = capacityBytes;
    this.finishGrace = finishGrace;
    this.metrics = metrics;
  }

  /**
   * Encodes and queues {@code frame}. Returns {@code false}, queuing nothing, when {@code capacity}
   * frames are already waiting or its bytes would take the queue past {@code capacityBytes}.
   *
   * @throws RuntimeException when the frame cannot be encoded; nothing is queued then
   */
  boolean offer(ServerFrame frame) {
    if (frame instanceof Push.Message message && canWriteNow()) {
      writeNow(message);
      return true;
    }
    byte[] encoded = codec.encode(frame);
    // A publication waits as itself, so that the drain can count it and time its lag; its
    // encoding is cached on the publication, so the drain's encode is a lookup.
    return queue(frame instanceof Push.Message ? frame : encoded, encoded.length);
  }

  /**
   * Whether a frame may skip the queue: on the event loop, with nothing queued or being drained,
   * and room in the channel. A publication delivered on the connection's own event loop then costs
   * one write and one flush, and no hand-over.
   */
  private boolean canWriteNow() {
    return channel.eventLoop().inEventLoop()
        && wip == 0
        && !done
        && !discarding
        && pending.isEmpty()
        && channel.isWritable();
  }

  private void writeNow(Push.Message message) {
    channel.write(publicationFrame(message), channel.unsafe().voidPromise());
    channel.flush();
    countLive(message);
    counted();
  }

  /** {@link #offer}s a publication replayed from history: counted, but its lag is not timed. */
  boolean offerReplayed(Push.Message message) {
    return queue(new Replayed(message), codec.encode(message).length);
  }

  /**
   * Runs {@code reached} on the event loop once every frame queued so far has been handed to the
   * socket (or at once, if the writer is done). Not counted against the bounds: one mark at most
   * waits per outstanding request.
   */
  void whenWritten(Runnable reached) {
    pending.offer(new Mark(reached));
    drainLater();
  }

  /** Queues a ping, unless the queue is full (the connection is about to close then anyway). */
  void ping() {
    queue(PING, 0);
  }

  private boolean queue(Object item, int bytes) {
    if (queued.incrementAndGet() > capacity) {
      queued.decrementAndGet();
      return false;
    }
    long total = queuedBytes.addAndGet(bytes);
    if (total > capacityBytes && total != bytes) {
      queuedBytes.addAndGet(-bytes);
      queued.decrementAndGet();
      return false;
    }
    pending.offer(item);
    drainLater();
    return true;
  }

  /** How many encoded bytes wait to be written. */
  long queuedBytes() {
    return queuedBytes.get();
  }

  /**
   * Queues {@code last} even when the queue is full; once it is written, {@link #written()}
   * completes and nothing after it is written. A client that does not read that far within the
   * finish grace has its channel closed, with what is left: otherwise it could hold the connection
   * (and what is buffered for it) for as long as it kept its socket open without reading.
   */
  void finish(ServerFrame last) {
    pending.offer(new Last(codec.encode(last)));
    drainLater();
    channel.eventLoop().schedule(this::dropIfUnfinished, finishGrace.toMillis(), MILLISECONDS);
  }

  private void dropIfUnfinished() {
    if (!done) {
      clear();
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
      clear();
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
        clear();
        end();
        counted();
        return;
      }
      if (item instanceof Mark mark) {
        mark.reached().run();
        continue;
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

  private Object frameFor(Object item) {
    if (item == PING) {
      return new PingWebSocketFrame();
    }
    Push.Message message = null;
    if (item instanceof Replayed replayed) {
      batchPublications++;
      message = replayed.message();
    } else if (item instanceof Push.Message live) {
      countLive(live);
      message = live;
    }
    if (message == null) {
      byte[] frame = (byte[]) item;
      queuedBytes.addAndGet(-frame.length);
      return frameOf(frame);
    }
    queuedBytes.addAndGet(-codec.encode(message).length);
    return publicationFrame(message);
  }

  private Object publicationFrame(Push.Message message) {
    if (compressed()) {
      return frameOf(codec.encode(message));
    }
    // Framed once per publication and codec, and copied into socket memory once per event loop.
    return frames.buffer(message, channel.alloc());
  }

  /**
   * Whether the connection negotiated permessage-deflate, whose encoder compresses {@code
   * WebSocketFrame}s: such a connection gets frame objects, every other one ready framed bytes.
   * Known once the handshake is over, so asked at the first write.
   */
  private boolean compressed() {
    if (compressed == null) {
      compressed = channel.pipeline().get(WebSocketExtensionEncoder.class) != null;
    }
    return compressed;
  }

  /** Adds a live publication to the current batch: counted, and its lag timed if the oldest. */
  private void countLive(Push.Message live) {
    batchPublications++;
    batchOldest = Math.min(batchOldest, live.publication().ts());
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

  /**
   * Drops what is queued; marks still run, so that whoever waits for them is not left waiting on a
   * writer that is done.
   */
  private void clear() {
    Object item;
    while ((item = pending.poll()) != null) {
      if (item instanceof Mark mark) {
        mark.reached().run();
      }
    }
  }

  private Object frameOf(byte[] payload) {
    if (!compressed()) {
      return WebSocketFrames.frame(channel.alloc(), codec.binary(), payload);
    }
    // Wrapping shares the array (no copy); the frame encoder copies it into the socket's buffer.
    var wrapped = Unpooled.wrappedBuffer(payload);
    return codec.binary() ? new BinaryWebSocketFrame(wrapped) : new TextWebSocketFrame(wrapped);
  }
}
