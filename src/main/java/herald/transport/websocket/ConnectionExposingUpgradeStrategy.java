package herald.transport.websocket;

import java.security.Principal;
import java.util.Optional;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.springframework.http.HttpHeaders;
import org.springframework.http.server.reactive.ServerHttpResponse;
import org.springframework.http.server.reactive.ServerHttpResponseDecorator;
import org.springframework.util.LinkedMultiValueMap;
import org.springframework.web.reactive.socket.HandshakeInfo;
import org.springframework.web.reactive.socket.WebSocketHandler;
import org.springframework.web.reactive.socket.WebSocketSession;
import org.springframework.web.reactive.socket.server.RequestUpgradeStrategy;
import org.springframework.web.server.ServerWebExchange;
import reactor.core.publisher.Mono;
import reactor.netty.Connection;
import reactor.util.context.Context;

/**
 * Reactor Netty's upgrade, which also hands each session its Reactor Netty connection ({@link
 * #connection(WebSocketSession)}) and lets go of the handshake's request once the upgrade is done.
 *
 * <p>Herald writes outbound frames to the Netty channel itself ({@link ChannelWriter}) and needs
 * the channel to drop a connection outright: closing politely is not enough for a client that
 * stopped reading, since the close frame waits behind the data it does not read.
 */
final class ConnectionExposingUpgradeStrategy implements RequestUpgradeStrategy {

  private static final String CONNECTION =
      ConnectionExposingUpgradeStrategy.class.getName() + ".connection";

  private final RequestUpgradeStrategy delegate;
  private final @Nullable PermessageDeflate permessageDeflate;

  /**
   * @param permessageDeflate how to offer permessage-deflate, or {@code null} not to
   */
  ConnectionExposingUpgradeStrategy(
      RequestUpgradeStrategy delegate, @Nullable PermessageDeflate permessageDeflate) {
    this.delegate = delegate;
    this.permessageDeflate = permessageDeflate;
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
    return exchange
        .getPrincipal()
        .map(Optional::of)
        .defaultIfEmpty(Optional.empty())
        .flatMap(
            principal -> {
              if (permessageDeflate != null && connection != null) {
                permessageDeflate.offer(connection.channel(), exchange.getRequest().getHeaders());
              }
              return delegate
                  .upgrade(
                      exchange,
                      withConnection,
                      subProtocol,
                      () -> lean(handshakeInfoFactory.get(), principal))
                  // The connection is served inside this subscription: with the request's
                  // context it would keep the whole exchange (request, response, attributes) for
                  // as long as it stays open. (The principal above still needs that context.)
                  .contextWrite(context -> Context.empty())
                  .doFinally(
                      signal -> {
                        if (permessageDeflate != null && connection != null) {
                          PermessageDeflate.withdraw(connection.channel());
                        }
                      });
            });
  }

  /**
   * What a session keeps of its handshake for its whole life: the principal (resolved already), the
   * subprotocol and the address, not the request's headers and cookies (checked before the upgrade
   * and read by nothing after it).
   */
  private static HandshakeInfo lean(HandshakeInfo full, Optional<Principal> principal) {
    return new HandshakeInfo(
        full.getUri(),
        new HttpHeaders(),
        new LinkedMultiValueMap<>(0),
        Mono.justOrEmpty(principal),
        full.getSubProtocol(),
        full.getRemoteAddress(),
        full.getAttributes(),
        full.getLogPrefix());
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
