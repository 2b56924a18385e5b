package herald.web;

import herald.protocol.ErrorCode;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.MediaType;
import org.springframework.http.server.reactive.ServerHttpResponse;
import reactor.core.publisher.Mono;
import reactor.netty.http.server.HttpServerResponse;
import tools.jackson.databind.json.JsonMapper;

/**
 * Writes the one HTTP error shape: {@code {"error":{"code":403,"message":"..."}}} with the same
 * status. Messages are ours, never a library's, and never hold a stack trace.
 */
public final class ErrorResponses {

  private final JsonMapper json;

  public ErrorResponses(JsonMapper json) {
    this.json = json;
  }

  /** The error body as bytes. */
  public byte[] body(ErrorCode code, String message) {
    return bodyWithCode(code.code(), message);
  }

  /** The error body for an HTTP status that has no {@link ErrorCode} (404, 405, ...). */
  public byte[] bodyWithCode(int code, String message) {
    // Ordered as the README writes it: Map.of would change the field order from run to run.
    Map<String, Object> error = new LinkedHashMap<>();
    error.put("code", code);
    error.put("message", message);
    return json.writeValueAsBytes(Map.of("error", error));
  }

  /**
   * Writes the error to {@code response} unless it is already committed.
   *
   * @param retryAfter sets {@code Retry-After} when not {@code null}
   */
  public Mono<Void> write(
      ServerHttpResponse response, ErrorCode code, String message, @Nullable Duration retryAfter) {
    return write(response, code.code(), message, retryAfter);
  }

  /**
   * {@link #write(ServerHttpResponse, ErrorCode, String, Duration)} with a status that may not be
   * an {@link ErrorCode}'s: one a backend chose (README "Backend integration").
   */
  public Mono<Void> write(
      ServerHttpResponse response, int code, String message, @Nullable Duration retryAfter) {
    if (response.isCommitted()) {
      return Mono.empty();
    }
    response.setStatusCode(HttpStatusCode.valueOf(code));
    HttpHeaders headers = response.getHeaders();
    headers.setContentType(MediaType.APPLICATION_JSON);
    headers.setCacheControl("no-store");
    if (retryAfter != null) {
      headers.set(HttpHeaders.RETRY_AFTER, Long.toString(Math.max(1, retryAfter.toSeconds())));
    }
    DataBuffer buffer = response.bufferFactory().wrap(bodyWithCode(code, message));
    return response.writeWith(Mono.just(buffer));
  }

  /**
   * The same error on a response that Reactor Netty serves without WebFlux (the WebSocket
   * handshake).
   */
  public Mono<Void> write(
      HttpServerResponse response, int code, String message, @Nullable Duration retryAfter) {
    if (response.hasSentHeaders()) {
      return Mono.empty();
    }
    byte[] body = bodyWithCode(code, message);
    response
        .status(code)
        .header(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON)
        .header(HttpHeaderNames.CACHE_CONTROL, HttpHeaderValues.NO_STORE)
        .header(HttpHeaderNames.CONTENT_LENGTH, Integer.toString(body.length));
    if (retryAfter != null) {
      response.header(
          HttpHeaderNames.RETRY_AFTER, Long.toString(Math.max(1, retryAfter.toSeconds())));
    }
    return response.sendByteArray(Mono.just(body)).then();
  }

  /** Convenience for {@link #write} without {@code Retry-After}. */
  public Mono<Void> write(ServerHttpResponse response, ErrorCode code, String message) {
    return write(response, code, message, null);
  }
}
