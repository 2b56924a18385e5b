package herald.protocol;

/** The error codes of replies and of HTTP error bodies; each is also the HTTP status. */
public enum ErrorCode {
  /** The request is malformed: not JSON, wrong types, unknown op or field, bad channel name. */
  BAD_REQUEST(400),
  /** No token, or the token is invalid or expired. Get a new token, then retry. */
  UNAUTHORIZED(401),
  /** The token is valid but does not permit this channel or operation. Do not retry. */
  FORBIDDEN(403),
  /** {@code rpc} on a node with no backend to call ({@code herald.proxy.rpc} is not set). */
  NOT_FOUND(404),
  /** The connection already holds a subscription to this channel. */
  ALREADY_SUBSCRIBED(409),
  /** The message is larger than the configured limit. */
  TOO_LARGE(413),
  /** Too many requests; slow down and retry later. */
  RATE_LIMITED(429),
  /** Something unexpected failed on the server; the request may be retried. */
  INTERNAL(500),
  /**
   * The backend behind a publish proxy or {@code rpc} failed: it answered an HTTP error (5xx, any
   * status but 200), something that is not a valid answer, or a larger one than allowed. Nothing
   * was published. Retrying may help once the backend is fixed.
   */
  BAD_GATEWAY(502),
  /** The engine (Redis) is unavailable; retry after a short while. */
  ENGINE_UNAVAILABLE(503),
  /**
   * The backend behind a publish proxy or {@code rpc} is not called for a while: its circuit
   * breaker is open after repeated failures, or the connection pool to it is full. Retry later.
   */
  BACKEND_UNAVAILABLE(503),
  /**
   * The backend behind a publish proxy or {@code rpc} did not answer within {@code
   * herald.proxy.timeout}; nothing was published. The call may or may not have had an effect there.
   */
  GATEWAY_TIMEOUT(504),
  /**
   * The node is shutting down and refuses new connections (HTTP only, with {@code Retry-After});
   * reconnect, and the load balancer picks another node.
   */
  DRAINING(503);

  private final int code;

  ErrorCode(int code) {
    this.code = code;
  }

  /** The numeric code, equal to the HTTP status used for the same error. */
  public int code() {
    return code;
  }
}
