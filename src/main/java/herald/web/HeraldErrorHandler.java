package herald.web;

import herald.protocol.ErrorCode;
import herald.protocol.HeraldException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.core.codec.DecodingException;
import org.springframework.http.MediaType;
import org.springframework.web.server.ResponseStatusException;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.ServerWebInputException;
import org.springframework.web.server.WebExceptionHandler;
import reactor.core.publisher.Mono;

/**
 * The one place where HTTP requests (SSE and the backend API) turn errors into the JSON error body.
 * Herald's own errors keep their code and message; framework input errors become 400 (or their own
 * 4xx status); anything unexpected becomes 500 with a log line and a fixed message.
 */
@Order(Ordered.HIGHEST_PRECEDENCE)
public final class HeraldErrorHandler implements WebExceptionHandler {

  private static final Logger log = LoggerFactory.getLogger(HeraldErrorHandler.class);

  private final ErrorResponses responses;

  public HeraldErrorHandler(ErrorResponses responses) {
    this.responses = responses;
  }

  @Override
  public Mono<Void> handle(ServerWebExchange exchange, Throwable error) {
    if (exchange.getResponse().isCommitted()) {
      return Mono.error(error);
    }
    if (error instanceof HeraldException herald) {
      return responses.write(
          exchange.getResponse(), herald.status(), herald.getMessage(), herald.retryAfter());
    }
    if (error instanceof ServerWebInputException || error instanceof DecodingException) {
      return responses.write(exchange.getResponse(), ErrorCode.BAD_REQUEST, "malformed request");
    }
    if (error instanceof ResponseStatusException status) {
      return writeStatus(exchange, status);
    }
    log.error("path={} unexpected error", exchange.getRequest().getPath().value(), error);
    return responses.write(exchange.getResponse(), ErrorCode.INTERNAL, "internal error");
  }

  private Mono<Void> writeStatus(ServerWebExchange exchange, ResponseStatusException status) {
    int code = status.getStatusCode().value();
    String message =
        switch (code) {
          case 404 -> "not found";
          case 405 -> "method not allowed";
          case 406 -> "not acceptable";
          case 413 -> "request too large";
          case 415 -> "unsupported media type";
          default -> code < 500 ? "bad request" : "internal error";
        };
    exchange.getResponse().setStatusCode(status.getStatusCode());
    exchange.getResponse().getHeaders().setContentType(MediaType.APPLICATION_JSON);
    byte[] body = responses.bodyWithCode(code, message);
    return exchange
        .getResponse()
        .writeWith(Mono.just(exchange.getResponse().bufferFactory().wrap(body)));
  }
}
