package herald.transport.websocket;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;

/**
 * Tells a connection's {@link ChannelWriter} when its channel can take writes again, so frames it
 * held back while the client was not reading go out as soon as the client catches up.
 */
final class WritabilityRelay extends ChannelInboundHandlerAdapter {

  static final String NAME = "herald.writability";

  private final ChannelWriter writer;

  WritabilityRelay(ChannelWriter writer) {
    this.writer = writer;
  }

  @Override
  public void channelWritabilityChanged(ChannelHandlerContext ctx) {
    if (ctx.channel().isWritable()) {
      writer.writable();
    }
    ctx.fireChannelWritabilityChanged();
  }
}
