package herald.proxy;

import herald.protocol.ErrorCode;
import herald.protocol.HeraldException;
import io.github.resilience4j.circuitbreaker.CallNotPermittedException;
import io.github.resilience4j.reactor.circuitbreaker.operator.CircuitBreakerOperator;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DataBufferLimitException;
import org.springframework.core.io.buffer.DataBufferUtils;
import org.springframework.http.MediaType;
import org.springframework.web.reactive.function.BodyExtractors;
import org.springframework.web.reactive.function.client.ClientResponse;
import org.springframework.web.reactive.function.client.WebClient;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * POSTs a JSON body to a backend and reads its {@link BackendAnswer}, non-blocking, on the {@link
 * WebClient} that {@link ProxyConfiguration} builds over its own Reactor Netty connection pool.
 *
 * <p>Failure policy: every way a call can fail ends in one {@link HeraldException} the client is
 * told about, and nothing is published. No answer within {@code herald.proxy.timeout}: 504. An HTTP
 * status other than 200, a body that is not a valid answer or larger than {@code
 * herald.proxy.max-answer-size}, an unreachable backend: 502. The target's circuit breaker open, or
 * too many calls waiting for a pooled connection: 503 at once, without calling. Each of these but
 * the last counts against the target's breaker; a backend's own {@code error} answer does not. No
 * retries: a publish or rpc may not be idempotent at the backend.
 */
final class BackendCalls {

  private static final Logger log = LoggerFactory.getLogger(BackendCalls.class);

  static final String USER_HEADER = "X-Herald-User";
  static final String CLIENT_HEADER = "X-Herald-Client";

  private final WebClient http;
  private final JsonMapper json;
  private final Duration timeout;
  private final int maxAnswerSize;
  private final Scheduler timers;
  private final Map<String, String> headers;

  /**
   * @param headers sent with every call ({@code herald.proxy.headers})
   */
  BackendCalls(
      WebClient http,
      JsonMapper json,
      Duration timeout,
      int maxAnswerSize,
      Scheduler timers,
      Map<String, String> headers) {
    this.headers = headers;
    this.http = http;
    this.json = json;
    this.timeout = timeout;
    this.maxAnswerSize = maxAnswerSize;
    this.timers = timers;
  }

  /**
   * POSTs {@code body} to {@code target} for {@code caller}. Cold: each subscription is one call;
   * cancelling it aborts the request. Emits the answer on a Reactor Netty client thread, or fails
   * with a {@link HeraldException} (see the class comment).
   */
  Mono<BackendAnswer> post(ProxyTarget target, ObjectNode body, Caller caller) {
    byte[] payload = json.writeValueAsBytes(body);
    return http.post()
        .uri(target.uri())
        .contentType(MediaType.APPLICATION_JSON)
        .accept(MediaType.APPLICATION_JSON)
        .headers(
            request -> {
              headers.forEach(request::set);
              if (!caller.user().isEmpty()) {
                request.set(USER_HEADER, caller.user());
              }
              if (caller.client() != null) {
                request.set(CLIENT_HEADER, caller.client());
              }
            })
        .bodyValue(payload)
        .exchangeToMono(this::answer)
        .timeout(timeout, timers)
        .transformDeferred(CircuitBreakerOperator.of(target.breaker()))
        .onErrorMap(error -> failure(target, error));
  }

  /** How many bytes {@code data} takes as JSON. */
  int size(JsonNode data) {
    return json.writeValueAsBytes(data).length;
  }

  private Mono<BackendAnswer> answer(ClientResponse response) {
    int status = response.statusCode().value();
    if (status != 200) {
      return response.releaseBody().then(Mono.error(badGateway("backend answered HTTP " + status)));
    }
    return DataBufferUtils.join(response.body(BodyExtractors.toDataBuffers()), maxAnswerSize)
        .map(this::read)
        .switchIfEmpty(Mono.error(() -> badGateway("backend answer is empty")));
  }

  private BackendAnswer read(DataBuffer buffer) {
    try {
      byte[] bytes = new byte[buffer.readableByteCount()];
      buffer.read(bytes);
      return BackendAnswer.read(json.readTree(bytes));
    } catch (JacksonException e) {
      throw badGateway("backend answer is not JSON");
    } finally {
      DataBufferUtils.release(buffer);
    }
  }

  private Throwable failure(ProxyTarget target, Throwable error) {
    if (error instanceof HeraldException) {
      return error;
    }
    if (error instanceof CallNotPermittedException) {
      return new HeraldException(
          ErrorCode.BACKEND_UNAVAILABLE, "backend unavailable: its circuit breaker is open");
    }
    if (error instanceof TimeoutException) {
      return new HeraldException(
          ErrorCode.GATEWAY_TIMEOUT, "backend did not answer within " + timeout.toMillis() + " ms");
    }
    if (causedBy(error, DataBufferLimitException.class)) {
      return badGateway("backend answer is larger than " + maxAnswerSize + " bytes");
    }
    if (causedByPendingLimit(error)) {
      return new HeraldException(
          ErrorCode.BACKEND_UNAVAILABLE, "backend unavailable: too many calls waiting for it");
    }
    log.debug("proxy={} call failed: {}", target.name(), error.toString());
    return badGateway("backend unreachable");
  }

  /**
   * Whether {@code error} counts against a target's circuit breaker: every failure but a full queue
   * for pooled connections, which says the node is busy, not that the backend is broken.
   */
  static boolean countsAsFailure(Throwable error) {
    return !causedByPendingLimit(error);
  }

  private static boolean causedBy(Throwable error, Class<? extends Throwable> type) {
    for (Throwable cause = error; cause != null; cause = cause.getCause()) {
      if (type.isInstance(cause)) {
        return true;
      }
      if (cause.getCause() == cause) {
        break;
      }
    }
    return false;
  }

  /** Reactor Netty's pool refuses an acquire past its pending bound with a shaded pool type. */
  private static boolean causedByPendingLimit(Throwable error) {
    for (Throwable cause = error; cause != null; cause = cause.getCause()) {
      if (cause.getClass().getSimpleName().equals("PoolAcquirePendingLimitException")) {
        return true;
      }
      if (cause.getCause() == cause) {
        break;
      }
    }
    return false;
  }

  private static HeraldException badGateway(String message) {
    return new HeraldException(ErrorCode.BAD_GATEWAY, message);
  }
}
