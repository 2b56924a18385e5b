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
 * Reactor Netty's upgrade, which also hands each session its Reactor Netty connection ({@link
 * #connection(WebSocketSession)}).
 *
 * <p>Herald writes outbound frames to the Netty channel itself ({@link ChannelWriter}) and needs
 * the channel to drop a connection outright: closing politely is not enough for a client that
 * stopped reading, since the close frame waits behind the data it does not read.
 */
final class ConnectionExposingUpgradeStrategy implements RequestUpgradeStrategy {

  private static final String CONNECTION =
      ConnectionExposingUpgradeStrategy.class.getName() + ".connection";

  private final RequestUpgradeStrategy delegate;

  ConnectionExposingUpgradeStrategy(RequestUpgradeStrategy delegate) {
    this.delegate = delegate;
  }

  @Override
  public Mono<Void> upgrade(
      ServerWebExchange exchange,
      WebSocketHandler handler,
      @Nullable String subProtocol,
      Supplier<HandshakeInfo> handshakeInfoFactory) {
    Connection connection = nettyConnection(exchange.getResponse());
    WebSocketHandler withConnection =
        connection == null
            ? handler
            : session -> {
              session.getAttributes().put(CONNECTION, connection);
              return handler.handle(session);
            };
    return delegate.upgrade(exchange, withConnection, subProtocol, handshakeInfoFactory);
  }

  private static @Nullable Connection nettyConnection(ServerHttpResponse response) {
    try {
      Object nativeResponse = ServerHttpResponseDecorator.getNativeResponse(response);
      return nativeResponse instanceof Connection connection ? connection : null;
    } catch (IllegalArgumentException notNetty) {
      return null;
    }
  }

  /** The session's Reactor Netty connection. */
  static Connection connection(WebSocketSession session) {
    if (session.getAttributes().get(CONNECTION) instanceof Connection connection) {
      return connection;
    }
    throw new IllegalStateException("WebSocket session without a Reactor Netty connection");
  }

  /** Closes the session's TCP connection at once, dropping whatever it had not written yet. */
  static void drop(WebSocketSession session) {
    connection(session).channel().close();
  }
}
