package herald.ratelimit;

import herald.protocol.HeraldException;
import herald.warmup.WarmUpPass;
import herald.web.ClientAddress;
import herald.web.ConnectionEndpoints;
import herald.web.ErrorResponses;
import org.springframework.core.Ordered;
import org.springframework.http.server.reactive.ServerHttpRequest;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.WebFilterChain;
import reactor.core.publisher.Mono;

/**
 * Admits new SSE streams ({@link ConnectionAdmission}) before anything else is done for them. (The
 * WebSocket endpoint is served ahead of WebFlux and admits its handshakes itself.)
 *
 * <p>Requests are matched as the router matches them ({@link ConnectionEndpoints}), so no spelling
 * of the path reaches the handler without passing here. A stream holds its slot for as long as its
 * response lasts.
 */
final class ConnectionAdmissionFilter implements WebFilter, Ordered {

  /** Ahead of Spring Security, so refused requests cost no token verification. */
  static final int ORDER = -200;

  private final ConnectionAdmission admission;
  private final WarmUpPass warmUp;
  private final ClientAddress addresses;
  private final ErrorResponses errors;

  ConnectionAdmissionFilter(
      ConnectionAdmission admission,
      WarmUpPass warmUp,
      ClientAddress addresses,
      ErrorResponses errors) {
    this.admission = admission;
    this.warmUp = warmUp;
    this.addresses = addresses;
    this.errors = errors;
  }

  @Override
  public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
    ServerHttpRequest request = exchange.getRequest();
    if (!ConnectionEndpoints.matches(request)
        || warmUp.admits(request.getHeaders().getFirst(WarmUpPass.HEADER))) {
      return chain.filter(exchange); // the node's own warm-up (README, "Warm-up") is not counted
    }
    ConnectionAdmission.Admitted slot;
    try {
      slot = admission.admit(addresses.of(request));
    } catch (HeraldException refused) {
      return errors.write(
          exchange.getResponse(), refused.code(), refused.getMessage(), refused.retryAfter());
    }
    return chain.filter(exchange).doFinally(signal -> slot.release());
  }

  @Override
  public int getOrder() {
    return ORDER;
  }
}
