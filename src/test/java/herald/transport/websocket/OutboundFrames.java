package herald.transport.websocket;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.websocketx.WebSocket13FrameDecoder;

/** What a writer put on an embedded channel, as WebSocket frames. */
final class OutboundFrames {

  private OutboundFrames() {}

  /**
   * {@code written} itself when it is a frame object; read back with Netty's client-side frame
   * decoder (unmasked frames) when it is ready framed bytes, which must hold exactly one frame.
   * Releases {@code written} in that case; the caller releases what it gets.
   */
  static Object decoded(Object written) {
    if (!(written instanceof ByteBuf framed)) {
      return written;
    }
    EmbeddedChannel decoder =
        new EmbeddedChannel(new WebSocket13FrameDecoder(false, false, 1 << 20));
    decoder.writeInbound(framed);
    Object frame = decoder.readInbound();
    assertThat(frame).as("a whole frame").isNotNull();
    assertThat((Object) decoder.readInbound()).as("one frame per write").isNull();
    decoder.finishAndReleaseAll();
    return frame;
  }
}
