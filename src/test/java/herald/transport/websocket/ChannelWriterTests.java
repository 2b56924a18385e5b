package herald.transport.websocket;

import static org.assertj.core.api.Assertions.assertThat;

import herald.channel.ChannelName;
import herald.channel.Publication;
import herald.observability.HeraldMetrics;
import herald.observability.TransportMetrics;
import herald.protocol.CloseCode;
import herald.protocol.JsonFrameCodec;
import herald.protocol.Push;
import herald.protocol.Reply;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.node.JsonNodeFactory;

/**
 * The writer on a real (embedded) Netty channel: what reaches the channel, in which order. The test
 * thread is the embedded channel's event loop, where a publication with nothing waiting skips the
 * queue: tests of the queue first queue a frame for it to wait behind, as a publication offered off
 * the loop waits for the drain.
 */
class ChannelWriterTests {

  private static final int CAPACITY = 3;
  private static final long CAPACITY_BYTES = 1 << 20;
  private static final Duration GRACE = Duration.ofSeconds(10);

  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final TransportMetrics metrics = new HeraldMetrics(registry).websocket();

  private final FlushCounter flushes = new FlushCounter(true);
  private final EmbeddedChannel channel = new EmbeddedChannel(flushes);
  private final ChannelWriter writer =
      new ChannelWriter(channel, new JsonFrameCodec(), CAPACITY, CAPACITY_BYTES, GRACE, metrics);

  @AfterEach
  void close() {
    channel.finishAndReleaseAll();
  }

  @Test
  void framesQueuedBeforeTheDrainGoOutInOrderWithOneFlush() {
    writer.offer(reply(1));
    writer.offer(reply(2));
    writer.ping();
    assertThat(channel.outboundMessages()).as("nothing is written off the event loop").isEmpty();

    channel.runPendingTasks();

    assertThat(written())
        .containsExactly("{\"id\":1,\"result\":{}}", "{\"id\":2,\"result\":{}}", "ping");
    assertThat(flushes.count).isEqualTo(1);
  }

  @Test
  void aPublicationOnTheEventLoopWithNothingWaitingIsWrittenAtOnce() {
    Push.Message message = message(1, System.currentTimeMillis() - 5_000);
    assertThat(writer.offer(message)).isTrue();

    assertThat(written()).as("no drain to wait for").containsExactly(frameOf(message));
    assertThat(flushes.count).isEqualTo(1);
    assertThat(writer.queuedBytes()).isZero();
    assertThat(registry.get("herald.deliveries").tag("transport", "websocket").counter().count())
        .isEqualTo(1);
    Timer lag = registry.get("herald.delivery.lag").tag("transport", "websocket").timer();
    assertThat(lag.max(TimeUnit.MILLISECONDS)).isBetween(5_000.0, 60_000.0);
  }

  @Test
  void aPublicationKeepsItsPlaceBehindFramesThatWait() {
    Push.Message message = message(2, System.currentTimeMillis());
    writer.offer(reply(1));
    writer.offer(message);
    assertThat(channel.outboundMessages())
        .as("the reply waits, so the publication waits")
        .isEmpty();

    channel.runPendingTasks();

    assertThat(written()).containsExactly("{\"id\":1,\"result\":{}}", frameOf(message));
  }

  @Test
  void aDrainCountsItsPublicationsAndTimesOnlyTheOldestLiveOne() {
    long now = System.currentTimeMillis();
    ChannelWriter writer =
        new ChannelWriter(channel, new JsonFrameCodec(), 10, CAPACITY_BYTES, GRACE, metrics);
    writer.ping(); // waits, so the publications queue behind it: one drain for all
    writer.offer(message(1, now - 5_000));
    writer.offer(message(2, now));
    writer.offerReplayed(message(3, now - 3_600_000));

    channel.runPendingTasks();

    assertThat(written()).hasSize(4);
    assertThat(registry.get("herald.deliveries").tag("transport", "websocket").counter().count())
        .isEqualTo(3);
    Timer lag = registry.get("herald.delivery.lag").tag("transport", "websocket").timer();
    assertThat(lag.count()).as("one sample for the drain").isEqualTo(1);
    assertThat(lag.max(TimeUnit.MILLISECONDS))
        .as("the oldest live publication, not the replayed one")
        .isBetween(5_000.0, 60_000.0);
  }

  @Test
  void refusesFramesBeyondItsCapacityUntilTheEventLoopDrainsThem() {
    for (int id = 1; id <= CAPACITY; id++) {
      assertThat(writer.offer(reply(id))).isTrue();
    }
    assertThat(writer.offer(reply(99))).as("the queue is full").isFalse();

    channel.runPendingTasks();

    assertThat(written()).hasSize(CAPACITY);
    assertThat(writer.offer(reply(4))).as("room again once written").isTrue();
  }

  @Test
  void refusesAFrameThatWouldTakeTheQueuedBytesPastTheBound() {
    Push.Message large = message(400);
    int size = new JsonFrameCodec().encode(large).length;
    ChannelWriter writer =
        new ChannelWriter(
            channel, new JsonFrameCodec(), 1000, size * 2L + size / 2, GRACE, metrics);
    writer.ping(); // waits, so the publications queue behind it

    assertThat(writer.offer(large)).isTrue();
    assertThat(writer.offer(large)).as("the same shared bytes count once per enqueue").isTrue();
    assertThat(writer.queuedBytes()).isEqualTo(size * 2L);
    assertThat(writer.offer(large)).as("three would pass the byte bound").isFalse();
    assertThat(writer.offer(reply(1))).as("a small frame still fits").isTrue();

    channel.runPendingTasks();

    assertThat(written()).hasSize(4);
    assertThat(writer.queuedBytes()).isZero();
    assertThat(writer.offer(large)).as("room again once written").isTrue();
  }

  @Test
  void oneFrameLargerThanTheByteBoundGoesOutWhenNothingElseWaits() {
    ChannelWriter writer =
        new ChannelWriter(channel, new JsonFrameCodec(), 1000, 10, GRACE, metrics);
    writer.ping(); // no bytes, but it makes the publication wait

    assertThat(writer.offer(message(100))).isTrue();
    assertThat(writer.offer(reply(1))).as("nothing more while it waits").isFalse();

    channel.runPendingTasks();
    assertThat(written()).containsExactly("ping", frameOf(message(100)));
  }

  @Test
  void aMarkRunsOnceEverythingQueuedBeforeItIsWritten() {
    AtomicBoolean reached = new AtomicBoolean();
    writer.offer(reply(1));
    writer.whenWritten(() -> reached.set(true));
    assertThat(reached).isFalse();

    channel.runPendingTasks();

    assertThat(reached).isTrue();
    assertThat(written()).containsExactly("{\"id\":1,\"result\":{}}");
  }

  @Test
  void theLastFrameEndsTheWritingAndCompletesWrittenAfterIt() {
    AtomicBoolean done = new AtomicBoolean();
    writer.written().subscribe(null, null, () -> done.set(true));
    writer.offer(reply(1));
    writer.finish(new Push.Disconnect(CloseCode.GOING_AWAY, "bye"));
    writer.offer(reply(2));

    channel.runPendingTasks();

    assertThat(written())
        .containsExactly(
            "{\"id\":1,\"result\":{}}",
            "{\"type\":\"disconnect\",\"code\":1001,\"reason\":\"bye\",\"reconnect\":true}");
    assertThat(done).isTrue();
  }

  @Test
  void discardDropsWhatIsQueuedAndCompletesWritten() {
    AtomicBoolean done = new AtomicBoolean();
    writer.written().subscribe(null, null, () -> done.set(true));
    writer.offer(reply(1));
    writer.discard();

    channel.runPendingTasks();

    assertThat(channel.outboundMessages()).isEmpty();
    assertThat(done).isTrue();
  }

  @Test
  void aClosedChannelEndsTheWriter() {
    AtomicBoolean done = new AtomicBoolean();
    writer.written().subscribe(null, null, () -> done.set(true));
    channel.close();
    writer.offer(reply(1));

    channel.runPendingTasks();

    assertThat(channel.outboundMessages()).isEmpty();
    assertThat(done).isTrue();
  }

  @Test
  void aClientThatDoesNotReadUpToTheLastFrameIsDroppedAfterTheGrace() {
    FlushCounter stuck = new FlushCounter(false);
    EmbeddedChannel unread = new EmbeddedChannel(stuck);
    unread.freezeTime();
    // Everything written stays in the channel's buffer (nothing is flushed to the peer), so one
    // frame puts it over the high water mark: the channel is not writable, as for a client that
    // stopped reading.
    unread.config().setWriteBufferWaterMark(new WriteBufferWaterMark(1, 2));
    ChannelWriter writer =
        new ChannelWriter(unread, new JsonFrameCodec(), CAPACITY, CAPACITY_BYTES, GRACE, metrics);
    AtomicBoolean done = new AtomicBoolean();
    writer.written().subscribe(null, null, () -> done.set(true));
    writer.offer(reply(1));
    writer.finish(new Push.Disconnect(CloseCode.GOING_AWAY, "bye"));
    unread.runPendingTasks();
    assertThat(unread.isWritable()).isFalse();
    assertThat(done).as("the disconnect push is still waiting").isFalse();

    unread.advanceTimeBy(GRACE.toMillis() - 1, TimeUnit.MILLISECONDS);
    unread.runScheduledPendingTasks();
    assertThat(unread.isOpen()).as("open until the grace is over").isTrue();

    unread.advanceTimeBy(1, TimeUnit.MILLISECONDS);
    unread.runScheduledPendingTasks();
    assertThat(unread.isOpen()).as("dropped after the grace").isFalse();
    assertThat(done).isTrue();
    unread.finishAndReleaseAll();
  }

  @Test
  void aCloseThatGoesOutInTimeIsNotDropped() {
    writer.finish(new Push.Disconnect(CloseCode.GOING_AWAY, "bye"));
    channel.runPendingTasks();
    channel.advanceTimeBy(GRACE.toMillis(), TimeUnit.MILLISECONDS);
    channel.runScheduledPendingTasks();

    assertThat(written()).hasSize(1);
    assertThat(channel.isOpen()).as("closing is the close frame's job, not the grace's").isTrue();
  }

  private static String frameOf(Push.Message message) {
    return new String(new JsonFrameCodec().encode(message), StandardCharsets.UTF_8);
  }

  /** A live publication of channel {@code news}, its data the offset. */
  static Push.Message message(long offset, long acceptedAt) {
    return new Push.Message(
        new Publication(
            ChannelName.of("news"),
            offset,
            "e1",
            JsonNodeFactory.instance.numberNode(offset),
            acceptedAt,
            null));
  }

  private static Push.Message message(int dataBytes) {
    return new Push.Message(
        new Publication(
            ChannelName.of("big"),
            1,
            "e",
            JsonNodeFactory.instance.stringNode("x".repeat(dataBytes)),
            0,
            null));
  }

  private static Reply reply(long id) {
    return Reply.ok(id, new Reply.Empty());
  }

  private List<String> written() {
    List<String> frames = new ArrayList<>();
    Object message;
    while ((message = channel.readOutbound()) != null) {
      message = OutboundFrames.decoded(message);
      if (message instanceof TextWebSocketFrame text) {
        frames.add(text.content().toString(StandardCharsets.UTF_8));
      } else if (message instanceof PingWebSocketFrame) {
        frames.add("ping");
      }
      ReferenceCountUtil.release(message);
    }
    return frames;
  }

  /** Counts flushes on their way to the socket; or swallows them, as a peer that never reads. */
  private static final class FlushCounter extends ChannelOutboundHandlerAdapter {
    private final boolean passOn;
    int count;

    FlushCounter(boolean passOn) {
      this.passOn = passOn;
    }

    @Override
    public void flush(ChannelHandlerContext ctx) {
      count++;
      if (passOn) {
        ctx.flush();
      }
    }
  }
}
