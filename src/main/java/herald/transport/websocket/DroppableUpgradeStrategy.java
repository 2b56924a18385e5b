package herald.transport.websocket;

import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.springframework.http.server.reactive.ServerHttpResponse;
import org.springframework.http.server.reactive.ServerHttpResponseDecorator;
import org.springframework.web.reactive.socket.HandshakeInfo;
import org.springframework.web.reactive.socket.WebSocketHandler;
import org.springframework.web.reactive.socket.WebSocketSession;
import org.springframework.web.reactive.socket.server.RequestUpgradeStrategy;
import org.springframework.web.server.ServerWebExchange;
import reactor.core.publisher.Mono;
import reactor.netty.Connection;

/**
 * Reactor Netty's upgrade, which also gives each session a way to drop its TCP connection outright
 * ({@link #drop(WebSocketSession)}).
 *
 * <p>Closing politely is not enough for a client that stopped reading: the close frame waits behind
 * the data it does not read, so the connection, and the buffers holding that data, would live as
 * long as the client cares to keep the socket open.
 */
final class DroppableUpgradeStrategy implements RequestUpgradeStrategy {

  private static final String DROP = DroppableUpgradeStrategy.class.getName() + ".drop";

  private final RequestUpgradeStrategy delegate;

  DroppableUpgradeStrategy(RequestUpgradeStrategy delegate) {
    this.delegate = delegate;
  }

  @Override
  public Mono<Void> upgrade(
      ServerWebExchange exchange,
      WebSocketHandler handler,
      @Nullable String subProtocol,
      Supplier<HandshakeInfo> handshakeInfoFactory) {
    Connection connection = nettyConnection(exchange.getResponse());
    WebSocketHandler withDrop =
        connection == null
            ? handler
            : session -> {
              session.getAttributes().put(DROP, (Runnable) () -> connection.channel().close());
              return handler.handle(session);
            };
    return delegate.upgrade(exchange, withDrop, subProtocol, handshakeInfoFactory);
  }

  private static @Nullable Connection nettyConnection(ServerHttpResponse response) {
    try {
      Object nativeResponse = ServerHttpResponseDecorator.getNativeResponse(response);
      return nativeResponse instanceof Connection connection ? connection : null;
    } catch (IllegalArgumentException notNetty) {
      return null;
    }
  }

  /** Closes the session's TCP connection at once, dropping whatever it had not written yet. */
  static void drop(WebSocketSession session) {
    if (session.getAttributes().get(DROP) instanceof Runnable drop) {
      drop.run();
    }
  }
}
