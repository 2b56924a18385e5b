package herald.transport.websocket;

import herald.protocol.CloseCode;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.compression.DecompressionException;
import io.netty.handler.codec.http.websocketx.CorruptedWebSocketFrameException;
import io.netty.handler.codec.http.websocketx.Utf8FrameValidator;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import java.util.function.BiConsumer;

/**
 * Fails the connection where RFC 6455 and RFC 7692 say it must and Netty's frame decoder, as
 * Reactor Netty configures it, does not: reserved bits that no extension gave a meaning (1002, RFC
 * 6455 §5.2), text that is not UTF-8 (1007, §8.1), a compressed message that inflates past the size
 * limit (1009) or does not inflate at all (1007). Netty's frame decoder checks the framing itself
 * (and closes with 1002 or 1009 on its own); this handler sits behind it and behind the
 * permessage-deflate decoder, so it sees what the client meant to send.
 *
 * <p>The UTF-8 check is Netty's, fragment by fragment as they arrive; the violation goes to {@code
 * violation}, which closes the connection the way Herald closes any (disconnect push, close frame,
 * {@link ClosingHandshake}), instead of Netty's close-at-once.
 */
final class PayloadChecks extends Utf8FrameValidator {

  static final String NAME = "herald.payloadChecks";

  private final int maxMessageSize;
  private final BiConsumer<CloseCode, String> violation;

  /**
   * @param maxMessageSize the size limit, which an inflated frame may pass by a little before the
   *     inflater stops (see {@link PermessageDeflate}); a fragmented message as a whole is held to
   *     it by the frame aggregator after this handler
   */
  PayloadChecks(int maxMessageSize, BiConsumer<CloseCode, String> violation) {
    super(false);
    this.maxMessageSize = maxMessageSize;
    this.violation = violation;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
    if (msg instanceof WebSocketFrame frame && frame.rsv() != 0) {
      // Reactor Netty's decoder allows extensions, so it lets reserved bits through; the
      // permessage-deflate decoder (before this handler) clears RSV1 of the messages it inflated.
      frame.release();
      violation.accept(CloseCode.PROTOCOL_ERROR, "reserved bits set");
      return;
    }
    if (msg instanceof WebSocketFrame frame && frame.content().readableBytes() > maxMessageSize) {
      frame.release();
      violation.accept(CloseCode.TOO_BIG, "message too big");
      return;
    }
    try {
      super.channelRead(ctx, msg);
    } catch (CorruptedWebSocketFrameException invalidUtf8) {
      // Thrown by the check above (after releasing the frame), not by a handler after it.
      violation.accept(CloseCode.INVALID_PAYLOAD, "text message is not valid UTF-8");
    }
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) throws Exception {
    if (cause instanceof DecompressionException inflate) {
      // The inflater stops at the size limit (see PermessageDeflate) rather than inflate it all.
      boolean tooBig = String.valueOf(inflate.getMessage()).contains("maximum size");
      if (tooBig) {
        violation.accept(CloseCode.TOO_BIG, "message too big");
      } else {
        violation.accept(CloseCode.INVALID_PAYLOAD, "compressed message does not inflate");
      }
      return;
    }
    super.exceptionCaught(ctx, cause);
  }
}
