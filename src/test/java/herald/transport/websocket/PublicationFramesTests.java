package herald.transport.websocket;

import static org.assertj.core.api.Assertions.assertThat;

import herald.protocol.JsonFrameCodec;
import herald.protocol.MsgpackFrameCodec;
import herald.protocol.Push;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.UnpooledByteBufAllocator;
import org.junit.jupiter.api.Test;

/** One copy of a publication's frame per event loop, shared by that loop's writes and released. */
class PublicationFramesTests {

  private final ByteBufAllocator allocator = new UnpooledByteBufAllocator(true);
  private final PublicationFrames frames = new PublicationFrames(new JsonFrameCodec());

  @Test
  void writesOnOneLoopShareOneBufferWhichTheNextPublicationReleases() {
    Push.Message first = message(1);
    ByteBuf toAlice = frames.buffer(first, allocator);
    ByteBuf toBob = frames.buffer(first, allocator);

    ByteBuf shared = root(toAlice);
    assertThat(root(toBob)).as("one buffer for both writes").isSameAs(shared);
    assertThat(ByteBufUtil.getBytes(toAlice)).isEqualTo(frames.framed(first));
    assertThat(ByteBufUtil.getBytes(toBob)).isEqualTo(frames.framed(first));
    assertThat(toAlice.readerIndex()).isZero(); // each write reads its own view

    toAlice.release();
    toBob.release();
    assertThat(shared.refCnt()).as("held for the next write of the same publication").isOne();

    Push.Message second = message(2);
    ByteBuf next = frames.buffer(second, allocator);
    assertThat(shared.refCnt()).as("released once another publication is framed").isZero();
    assertThat(ByteBufUtil.getBytes(next)).isEqualTo(frames.framed(second));
    next.release();
  }

  @Test
  void aWriteStillInFlightKeepsItsBufferAfterTheNextPublication() {
    ByteBuf inFlight = frames.buffer(message(1), allocator);
    ByteBuf next = frames.buffer(message(2), allocator);

    assertThat(inFlight.refCnt()).isOne();
    assertThat(ByteBufUtil.getBytes(inFlight)).isEqualTo(frames.framed(message(1)));
    inFlight.release();
    assertThat(inFlight.refCnt()).isZero();
    next.release();
  }

  @Test
  void textAndBinaryFramesOfOnePublicationAreKeptApart() {
    PublicationFrames binary = new PublicationFrames(new MsgpackFrameCodec());
    Push.Message message = message(1);
    ByteBuf text = frames.buffer(message, allocator);
    ByteBuf packed = binary.buffer(message, allocator);
    ByteBuf textAgain = frames.buffer(message, allocator);

    assertThat(root(textAgain)).as("the binary frame did not replace it").isSameAs(root(text));
    assertThat(ByteBufUtil.getBytes(packed)).isEqualTo(binary.framed(message));
    for (ByteBuf buffer : new ByteBuf[] {text, packed, textAgain}) {
      buffer.release();
    }
  }

  /**
   * The buffer under a write's view: Netty's leak detector wraps the buffers it samples (one in
   * 128), and a wrapped buffer's views unwrap to the wrapper's own view.
   */
  private static ByteBuf root(ByteBuf buffer) {
    ByteBuf root = buffer;
    while (root.unwrap() != null) {
      root = root.unwrap();
    }
    return root;
  }

  private static Push.Message message(long offset) {
    return ChannelWriterTests.message(offset, 1_000);
  }
}
