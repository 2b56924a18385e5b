package herald.transport.websocket;

import static org.assertj.core.api.Assertions.assertThat;

import herald.protocol.CloseCode;
import herald.protocol.JsonFrameCodec;
import herald.protocol.Push;
import herald.protocol.Reply;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The writer on a real (embedded) Netty channel: what reaches the channel, in which order. */
class ChannelWriterTests {

  private static final int CAPACITY = 3;

  private final FlushCounter flushes = new FlushCounter();
  private final EmbeddedChannel channel = new EmbeddedChannel(flushes);
  private final ChannelWriter writer = new ChannelWriter(channel, new JsonFrameCodec(), CAPACITY);

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

  private static Reply reply(long id) {
    return Reply.ok(id, new Reply.Empty());
  }

  private List<String> written() {
    List<String> frames = new ArrayList<>();
    Object message;
    while ((message = channel.readOutbound()) != null) {
      if (message instanceof TextWebSocketFrame text) {
        frames.add(text.content().toString(StandardCharsets.UTF_8));
      } else if (message instanceof PingWebSocketFrame) {
        frames.add("ping");
      }
      ReferenceCountUtil.release(message);
    }
    return frames;
  }

  /** Counts flushes on their way to the socket. */
  private static final class FlushCounter extends ChannelOutboundHandlerAdapter {
    int count;

    @Override
    public void flush(ChannelHandlerContext ctx) {
      count++;
      ctx.flush();
    }
  }
}
