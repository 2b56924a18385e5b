package herald.transport.websocket;

import herald.security.CredentialsPrincipal;
import herald.web.ConnectionEndpoints;
import java.net.URI;
import java.security.Principal;
import java.util.Optional;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.springframework.http.HttpCookie;
import org.springframework.http.HttpHeaders;
import org.springframework.http.server.reactive.ServerHttpResponse;
import org.springframework.http.server.reactive.ServerHttpResponseDecorator;
import org.springframework.util.CollectionUtils;
import org.springframework.util.LinkedMultiValueMap;
import org.springframework.util.MultiValueMap;
import org.springframework.web.reactive.socket.HandshakeInfo;
import org.springframework.web.reactive.socket.WebSocketHandler;
import org.springframework.web.reactive.socket.WebSocketSession;
import org.springframework.web.reactive.socket.server.RequestUpgradeStrategy;
import org.springframework.web.server.ServerWebExchange;
import reactor.core.publisher.Mono;
import reactor.netty.Connection;
import reactor.netty.http.server.HttpServerRequest;
import reactor.netty.http.server.HttpServerResponse;
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

  private static final String PRINCIPAL =
      ConnectionExposingUpgradeStrategy.class.getName() + ".principal";

  /** The URI every session shows in place of its request's. */
  private static final URI ENDPOINT = URI.create(ConnectionEndpoints.WEBSOCKET);

  private static final MultiValueMap<String, HttpCookie> NO_COOKIES =
      CollectionUtils.unmodifiableMultiValueMap(new LinkedMultiValueMap<>(0));

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
    return exchange
        .getPrincipal()
        .map(Optional::of)
        .defaultIfEmpty(Optional.empty())
        .flatMap(
            principal -> {
              @Nullable Principal compact =
                  principal.map(CredentialsPrincipal::compact).orElse(null);
              WebSocketHandler withConnection =
                  connection == null
                      ? handler
                      : session -> {
                        session.getAttributes().put(CONNECTION, connection);
                        if (compact != null) {
                          session.getAttributes().put(PRINCIPAL, compact);
                        }
                        forgetHandshakeHeaders(connection);
                        return handler.handle(session);
                      };
              if (permessageDeflate != null && connection != null) {
                permessageDeflate.offer(connection.channel(), exchange.getRequest().getHeaders());
              }
              return delegate
                  .upgrade(
                      exchange, withConnection, subProtocol, () -> lean(handshakeInfoFactory.get()))
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
   * What a session keeps of its handshake for its whole life: the subprotocol, the address and the
   * attributes, among them the principal ({@link #principal}); not the request's headers, cookies
   * and URI (its query holds the token), checked before the upgrade and read by nothing after it.
   */
  private static HandshakeInfo lean(HandshakeInfo full) {
    return new HandshakeInfo(
        ENDPOINT,
        HttpHeaders.EMPTY,
        NO_COOKIES,
        Mono.empty(),
        full.getSubProtocol(),
        full.getRemoteAddress(),
        full.getAttributes(),
        full.getLogPrefix());
  }

  /**
   * Empties the handshake's request and response headers, which Reactor Netty's WebSocket
   * connection keeps for its whole life; everything that reads them (the checks, the subprotocol,
   * permessage-deflate, the 101 response) is done once the upgrade is.
   */
  private static void forgetHandshakeHeaders(Connection connection) {
    if (connection instanceof HttpServerRequest request) {
      request.requestHeaders().clear();
    }
    if (connection instanceof HttpServerResponse response) {
      response.responseHeaders().clear();
    }
  }

  private static @Nullable Connection nettyConnection(ServerHttpResponse response) {
    try {
      Object nativeResponse = ServerHttpResponseDecorator.getNativeResponse(response);
      return nativeResponse instanceof Connection connection ? connection : null;
    } catch (IllegalArgumentException notNetty) {
      return null;
    }
  }

  /**
   * The session's principal, resolved before the upgrade and reduced to Herald's credentials, or
   * {@code null} for a handshake without a token.
   */
  static @Nullable Principal principal(WebSocketSession session) {
    return session.getAttributes().get(PRINCIPAL) instanceof Principal principal ? principal : null;
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
