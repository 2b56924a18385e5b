package herald.ratelimit;

import herald.protocol.HeraldException;

/**
 * Admits a new SSE stream or WebSocket connection, before anything else is done for it: the client
 * IP's rate of new connections (429 with {@code Retry-After}), then the caps on open connections
 * per IP (429) and on the node (503), both with {@code Retry-After}. Used by both endpoints' entry
 * points, so the two transports share one count.
 */
public final class ConnectionAdmission {

  /** A connection's place; free it once when the connection ends (more calls do nothing). */
  public interface Admitted {
    void release();
  }

  private final RateLimits limits;
  private final ConnectionSlots slots;

  ConnectionAdmission(RateLimits limits, ConnectionSlots slots) {
    this.limits = limits;
    this.slots = slots;
  }

  /**
   * Admits a connection from {@code clientIp}.
   *
   * @throws HeraldException 429 or 503, with {@link HeraldException#retryAfter()}
   */
  public Admitted admit(String clientIp) {
    limits.acquireConnection(clientIp);
    return slots.take(clientIp);
  }
}
