package herald.protocol;

/**
 * WebSocket close codes and SSE {@code disconnect} codes, with whether the client should reconnect.
 */
public enum CloseCode {
  /** The server is going away or the connection stopped answering pings; reconnect. */
  GOING_AWAY(1001, true),
  /** The client broke RFC 6455's framing (here: reserved bits it did not negotiate); fix it. */
  PROTOCOL_ERROR(1002, false),
  /**
   * A text message was not valid UTF-8 (RFC 6455 §8.1), or a compressed message could not be
   * inflated; fix the client.
   */
  INVALID_PAYLOAD(1007, false),
  /** A frame was larger than the message size limit; do not resend it. */
  TOO_BIG(1009, false),
  /** The node restarts or drains; reconnect, preferably elsewhere. */
  RESTART(1012, true),
  /** No valid token in time, or the token expired; reconnect with a fresh token. */
  UNAUTHORIZED(4001, true),
  /** The connection was refused for a permission reason; do not reconnect as is. */
  FORBIDDEN(4003, false),
  /** The client did not read its messages fast enough; reconnect and recover. */
  SLOW_CONSUMER(4008, true),
  /** The client kept exceeding the rate limit; reconnect after a pause. */
  RATE_LIMIT_EXCEEDED(4029, true),
  /** The client broke the protocol (for example a binary frame on herald.json); fix the client. */
  PROTOCOL_VIOLATION(4400, false);

  private final int code;
  private final boolean reconnect;

  CloseCode(int code, boolean reconnect) {
    this.code = code;
    this.reconnect = reconnect;
  }

  public int code() {
    return code;
  }

  /** Whether a client closed with this code should reconnect. */
  public boolean reconnect() {
    return reconnect;
  }
}
