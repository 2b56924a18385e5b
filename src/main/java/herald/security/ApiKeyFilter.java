package herald.security;

import herald.protocol.ErrorCode;
import herald.web.ErrorResponses;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.WebFilterChain;
import reactor.core.publisher.Mono;

/**
 * Guards the backend API: {@code X-API-Key} must equal the configured key, compared in constant
 * time. No key configured: 403 (the API is off). Missing or wrong key: 401.
 */
final class ApiKeyFilter implements WebFilter {

  static final String HEADER = "X-API-Key";

  private final byte[] expected;
  private final ErrorResponses errors;

  ApiKeyFilter(ApiKeyProperties properties, ErrorResponses errors) {
    this.expected =
        properties.configured() ? properties.key().getBytes(StandardCharsets.UTF_8) : new byte[0];
    this.errors = errors;
  }

  @Override
  public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
    if (expected.length == 0) {
      return errors.write(
          exchange.getResponse(),
          ErrorCode.FORBIDDEN,
          "the backend API is disabled: no API key is configured");
    }
    String presented = exchange.getRequest().getHeaders().getFirst(HEADER);
    if (presented == null
        || !MessageDigest.isEqual(expected, presented.getBytes(StandardCharsets.UTF_8))) {
      return errors.write(
          exchange.getResponse(), ErrorCode.UNAUTHORIZED, "missing or invalid API key");
    }
    return chain.filter(exchange);
  }
}
