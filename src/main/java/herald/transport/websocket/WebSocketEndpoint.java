package herald.transport.websocket;

import herald.lifecycle.DrainCoordinator;
import herald.protocol.ErrorCode;
import herald.protocol.HeraldException;
import herald.ratelimit.ConnectionAdmission;
import herald.security.BearerTokens;
import herald.security.Credentials;
import herald.security.OriginPolicy;
import herald.security.TokenVerifier;
import herald.warmup.WarmUpPass;
import herald.web.ClientAddress;
import herald.web.ErrorResponses;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Mono;
import reactor.netty.Connection;
import reactor.netty.http.server.HttpServerRequest;
import reactor.netty.http.server.HttpServerResponse;
import reactor.netty.http.server.WebsocketServerSpec;

/**
 * {@code GET /ws} up to the upgrade. Reactor Netty routes every spelling of {@code /ws} here ahead
 * of WebFlux ({@link WebSocketConfiguration}), so a handshake costs its checks and nothing else: no
 * {@code ServerWebExchange}, no web filter or security chain, and no Spring WebSocket session for
 * the connection's life.
 *
 * <p>The checks run in the order the README gives, each refused with the JSON error body every
 * other endpoint uses: the drain (503), admission (429, 503; not for the node's own warm-up, which
 * carries its {@link WarmUpPass}), the {@code Origin} (403), the handshake's own headers (405,
 * 400), the token (401). Then the upgrade, with the subprotocol and permessage-deflate negotiated,
 * and {@link HeraldWebSocketHandler} serves the connection. The connection's admission slot is held
 * until its TCP connection closes.
 */
final class WebSocketEndpoint {

  /** The node's own warm-up connections (README, "Warm-up") take no admission slot. */
  private static final ConnectionAdmission.Admitted NOT_COUNTED = () -> {};

  private final DrainCoordinator drain;
  private final ConnectionAdmission admission;
  private final WarmUpPass warmUp;
  private final ClientAddress addresses;
  private final OriginPolicy origins;
  private final TokenVerifier tokens;
  private final ErrorResponses errors;
  private final @Nullable PermessageDeflate permessageDeflate;
  private final HeraldWebSocketHandler handler;

  /** The upgrade's settings for each subprotocol the node speaks, and for none. */
  private final Map<String, WebsocketServerSpec> specs;

  private final WebsocketServerSpec withoutSubprotocol;

  WebSocketEndpoint(
      DrainCoordinator drain,
      ConnectionAdmission admission,
      WarmUpPass warmUp,
      ClientAddress addresses,
      OriginPolicy origins,
      TokenVerifier tokens,
      ErrorResponses errors,
      @Nullable PermessageDeflate permessageDeflate,
      HeraldWebSocketHandler handler,
      int maxFramePayloadLength) {
    this.drain = drain;
    this.admission = admission;
    this.warmUp = warmUp;
    this.addresses = addresses;
    this.origins = origins;
    this.tokens = tokens;
    this.errors = errors;
    this.permessageDeflate = permessageDeflate;
    this.handler = handler;
    this.specs =
        handler.subprotocols().stream()
            .collect(
                Collectors.toUnmodifiableMap(
                    Function.identity(), subprotocol -> spec(maxFramePayloadLength, subprotocol)));
    this.withoutSubprotocol = spec(maxFramePayloadLength, null);
  }

  private static WebsocketServerSpec spec(int maxFramePayloadLength, @Nullable String subprotocol) {
    WebsocketServerSpec.Builder builder =
        WebsocketServerSpec.builder()
            .maxFramePayloadLength(maxFramePayloadLength)
            // Not Reactor Netty's compression: its inflater has no limit (PermessageDeflate).
            .compress(false)
            // Pongs are answered by Reactor Netty; pings are not passed on.
            .handlePing(false);
    return subprotocol == null ? builder.build() : builder.protocols(subprotocol).build();
  }

  /** Serves one request for {@code /ws}. */
  Mono<Void> serve(HttpServerRequest request, HttpServerResponse response) {
    if (drain.draining()) {
      // The client's next attempt opens a new connection, which the load balancer sends elsewhere.
      response.keepAlive(false);
      return errors.write(
          response,
          ErrorCode.DRAINING.code(),
          DrainCoordinator.REFUSAL,
          DrainCoordinator.RETRY_AFTER);
    }
    HttpHeaders headers = request.requestHeaders();
    ConnectionAdmission.Admitted slot;
    try {
      slot =
          warmUp.admits(headers.get(WarmUpPass.HEADER))
              ? NOT_COUNTED
              : admission.admit(
                  addresses.of(
                      headers.getAll(ClientAddress.X_FORWARDED_FOR), request.remoteAddress()));
    } catch (HeraldException refused) {
      return refuse(response, refused);
    }
    AtomicBoolean upgraded = new AtomicBoolean();
    return Mono.defer(() -> checkThenUpgrade(request, response, headers, slot, upgraded))
        .doFinally(
            signal -> {
              if (!upgraded.get()) {
                slot.release();
              }
            });
  }

  private Mono<Void> checkThenUpgrade(
      HttpServerRequest request,
      HttpServerResponse response,
      HttpHeaders headers,
      ConnectionAdmission.Admitted slot,
      AtomicBoolean upgraded) {
    if (!origins.allows(headers.get(HttpHeaderNames.ORIGIN), requestUri(request))) {
      return errors.write(response, ErrorCode.FORBIDDEN.code(), "origin not allowed", null);
    }
    if (!HttpMethod.GET.equals(request.method())) {
      response.header(HttpHeaderNames.ALLOW, HttpMethod.GET.name());
      return errors.write(response, 405, "method not allowed", null);
    }
    String malformed = malformedHandshake(headers);
    if (malformed != null) {
      return errors.write(response, ErrorCode.BAD_REQUEST.code(), malformed, null);
    }
    String token =
        BearerTokens.ofHandshake(headers.get(HttpHeaderNames.AUTHORIZATION), queryToken(request));
    if (token == null) {
      return upgrade(request, response, headers, null, slot, upgraded);
    }
    return tokens
        .verify(token)
        .flatMap(credentials -> upgrade(request, response, headers, credentials, slot, upgraded))
        .onErrorResume(HeraldException.class, refused -> refuse(response, refused));
  }

  private Mono<Void> upgrade(
      HttpServerRequest request,
      HttpServerResponse response,
      HttpHeaders headers,
      @Nullable Credentials credentials,
      ConnectionAdmission.Admitted slot,
      AtomicBoolean upgraded) {
    @Nullable String subprotocol = subprotocol(headers);
    Connection connection = (Connection) response;
    if (permessageDeflate != null) {
      permessageDeflate.offer(connection.channel(), headers);
    }
    return response
        .sendWebsocket(
            (in, out) -> {
              upgraded.set(true);
              connection.channel().closeFuture().addListener(closed -> slot.release());
              return handler.handle(in, out, subprotocol, credentials);
            },
            subprotocol == null ? withoutSubprotocol : specs.get(subprotocol))
        .doFinally(
            signal -> {
              if (permessageDeflate != null) {
                PermessageDeflate.withdraw(connection.channel());
              }
            });
  }

  /**
   * The first subprotocol the client asks for that the node speaks, or {@code null}: the handler
   * then uses the default codec.
   */
  private @Nullable String subprotocol(HttpHeaders headers) {
    for (String line : headers.getAll(HttpHeaderNames.SEC_WEBSOCKET_PROTOCOL)) {
      for (String offered : line.split(",")) {
        String name = offered.trim();
        if (specs.containsKey(name)) {
          return name;
        }
      }
    }
    return null;
  }

  /**
   * Why the request is not a WebSocket handshake, or {@code null} when it is one (the version is
   * checked by the upgrade itself, which answers 426 with the versions it speaks).
   */
  private static @Nullable String malformedHandshake(HttpHeaders headers) {
    if (!headers.containsValue(HttpHeaderNames.UPGRADE, HttpHeaderValues.WEBSOCKET, true)) {
      return "not a WebSocket handshake: Upgrade: websocket expected";
    }
    if (!headers.containsValue(HttpHeaderNames.CONNECTION, HttpHeaderValues.UPGRADE, true)) {
      return "not a WebSocket handshake: Connection: Upgrade expected";
    }
    if (!headers.contains(HttpHeaderNames.SEC_WEBSOCKET_KEY)) {
      return "not a WebSocket handshake: Sec-WebSocket-Key missing";
    }
    return null;
  }

  /** The first {@code token} query parameter, decoded, or {@code null}. */
  private static @Nullable String queryToken(HttpServerRequest request) {
    String uri = request.uri();
    int query = uri.indexOf('?');
    if (query < 0) {
      return null;
    }
    String prefix = BearerTokens.QUERY_PARAMETER + "=";
    for (String parameter : uri.substring(query + 1).split("&")) {
      if (parameter.startsWith(prefix)) {
        return QueryStringDecoder.decodeComponent(
            parameter.substring(prefix.length()), StandardCharsets.UTF_8);
      }
      if (parameter.equals(BearerTokens.QUERY_PARAMETER)) {
        return "";
      }
    }
    return null;
  }

  /** The URI the handshake was made to, as far as the same-origin check needs it. */
  private static URI requestUri(HttpServerRequest request) {
    try {
      return new URI(
          request.scheme(), null, request.hostName(), request.hostPort(), null, null, null);
    } catch (URISyntaxException unparseableHost) {
      return URI.create("http://invalid");
    }
  }

  private Mono<Void> refuse(HttpServerResponse response, HeraldException refused) {
    return errors.write(response, refused.status(), refused.getMessage(), refused.retryAfter());
  }
}
