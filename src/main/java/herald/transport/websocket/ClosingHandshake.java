package herald.transport.websocket;

import static java.util.concurrent.TimeUnit.MILLISECONDS;

import io.netty.channel.Channel;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.socket.DuplexChannel;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.ScheduledFuture;
import java.time.Duration;
import org.springframework.web.reactive.socket.CloseStatus;
import reactor.core.publisher.Mono;
import reactor.netty.Connection;
import reactor.netty.FutureMono;

/**
 * The server's side of the WebSocket closing handshake (RFC 6455 §5.5.1, §7.1.1), for every close
 * Herald decides on, one handler in each connection's pipeline.
 *
 * <p>Closing the TCP connection right after the close frame (what Reactor Netty's {@code sendClose}
 * does) resets it whenever the client sent something the server has not read yet, and a client that
 * keeps sending (a flood closed with 4029) always has: its kernel then reports the reset (1006) and
 * drops the close frame with the reason. Here the server instead
 *
 * <ol>
 *   <li>stops acting on what the client sends once it decided to close ({@link #discardInbound}):
 *       frames are read and released, so the receive buffer never fills and a close sends FIN, not
 *       RST;
 *   <li>sends its close frame after the frames queued before it, then half-closes (FIN; on plain
 *       TCP only, since TLS needs its own close_notify), so a client reading to the end sees the
 *       close frame, then the end of the stream;
 *   <li>closes once the client's close frame or its end of stream arrives, or after {@code timeout}
 *       at the latest.
 * </ol>
 *
 * <p>A close frame the client sends first is left to Reactor Netty, which echoes its code and
 * closes.
 */
final class ClosingHandshake extends ChannelDuplexHandler {

  static final String NAME = "herald.closingHandshake";

  private final Channel channel;
  private final Duration timeout;
  private volatile boolean discarding;
  // Event loop only:
  private boolean closeSent;
  private boolean closeReceived;
  private boolean closeEchoed;

  private ClosingHandshake(Channel channel, Duration timeout) {
    this.channel = channel;
    this.timeout = timeout;
  }

  /** Adds the handler to {@code connection}'s pipeline, in front of Reactor Netty's bridge. */
  static ClosingHandshake install(Connection connection, Duration timeout) {
    ClosingHandshake handler = new ClosingHandshake(connection.channel(), timeout);
    connection.addHandlerLast(NAME, handler);
    return handler;
  }

  /** Adds the handler at the end of {@code channel}'s pipeline: a channel without Reactor Netty. */
  static ClosingHandshake install(Channel channel, Duration timeout) {
    ClosingHandshake handler = new ClosingHandshake(channel, timeout);
    channel.pipeline().addLast(NAME, handler);
    return handler;
  }

  /**
   * From now on, frames from the client are released unread; only its close frame counts. Any
   * thread.
   */
  void discardInbound() {
    if (!discarding) {
      discarding = true;
      // Reactor Netty stops reading while its subscriber has no demand; nothing reaches it now.
      channel.eventLoop().execute(() -> channel.config().setAutoRead(true));
    }
  }

  /**
   * Sends the close frame with {@code status} (after everything written before it), then closes as
   * described above. Completes when the TCP connection is closed.
   */
  Mono<Void> close(CloseStatus status) {
    return Mono.defer(
        () -> {
          discardInbound();
          channel.eventLoop().execute(() -> sendClose(status));
          return FutureMono.from(channel.closeFuture());
        });
  }

  private void sendClose(CloseStatus status) {
    if (closeSent || !channel.isActive()) {
      return;
    }
    closeSent = true;
    ScheduledFuture<?> deadline =
        channel.eventLoop().schedule(() -> channel.close(), timeout.toMillis(), MILLISECONDS);
    channel.closeFuture().addListener(closed -> deadline.cancel(false));
    if (closeEchoed) {
      return; // the client closed first: Reactor Netty answered with its code and closes
    }
    String reason = status.getReason();
    channel
        .writeAndFlush(new CloseWebSocketFrame(status.getCode(), reason == null ? "" : reason))
        .addListener(this::closeFrameWritten);
  }

  private void closeFrameWritten(Future<? super Void> written) {
    if (!written.isSuccess() || closeReceived) {
      channel.close();
    } else if (channel instanceof DuplexChannel duplex
        && channel.pipeline().get(SslHandler.class) == null) {
      // FIN after the close frame: the client reads the frame, then the end of the stream, and
      // answers with its own close frame or its FIN (either ends the wait).
      duplex
          .shutdownOutput()
          .addListener(
              shutdown -> {
                if (!shutdown.isSuccess()) {
                  channel.close();
                }
              });
    }
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    boolean close = msg instanceof CloseWebSocketFrame;
    if (close) {
      closeReceived = true;
    }
    if (!discarding) {
      closeEchoed |= close;
      ctx.fireChannelRead(msg);
      return;
    }
    ReferenceCountUtil.release(msg);
    if (close && closeSent) {
      ctx.close();
    }
  }

  @Override
  public void channelReadComplete(ChannelHandlerContext ctx) {
    if (discarding && !ctx.channel().config().isAutoRead()) {
      ctx.read();
    }
    ctx.fireChannelReadComplete();
  }
}
