package herald.ratelimit;

import herald.protocol.ErrorCode;
import herald.protocol.HeraldException;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;

/**
 * Counts open SSE and WebSocket connections, per client address and on the whole node, and refuses
 * a new one over either cap. A connection holds its {@link Slot} until it ends.
 *
 * <p>The map holds an entry only for addresses with an open connection, so it is bounded by the
 * node cap, whatever addresses clients come from.
 */
final class ConnectionSlots {

  /** When a client refused for its address should try again: a slot frees when one of its ends. */
  static final Duration PER_IP_RETRY = Duration.ofSeconds(10);

  /** When a client refused by a full node should try again (a load balancer tries another). */
  static final Duration NODE_FULL_RETRY = Duration.ofSeconds(5);

  private final int perIp;
  private final int perNode;
  private final AtomicInteger open = new AtomicInteger();
  private final Map<String, Integer> byAddress = new ConcurrentHashMap<>();

  ConnectionSlots(ConnectionCapProperties properties) {
    this.perIp = properties.connectionsPerIp();
    this.perNode = properties.connectionsPerNode();
  }

  /**
   * Takes a slot for a new connection from {@code clientIp}.
   *
   * @throws CapReachedException 503 when the node is full, 429 when the address is
   */
  Slot take(String clientIp) {
    if (open.incrementAndGet() > perNode) {
      open.decrementAndGet();
      throw new CapReachedException(
          ErrorCode.ENGINE_UNAVAILABLE, "this node is full", NODE_FULL_RETRY);
    }
    boolean[] admitted = {true};
    byAddress.compute(
        clientIp,
        (ip, held) -> {
          int count = held == null ? 0 : held;
          if (count >= perIp) {
            admitted[0] = false;
            return held;
          }
          return count + 1;
        });
    if (!admitted[0]) {
      open.decrementAndGet();
      throw new CapReachedException(
          ErrorCode.RATE_LIMITED, "too many connections from this address", PER_IP_RETRY);
    }
    return new Slot(clientIp);
  }

  /** Open connections on this node. */
  int open() {
    return open.get();
  }

  /** Open connections from {@code clientIp}. */
  int openFrom(String clientIp) {
    return byAddress.getOrDefault(clientIp, 0);
  }

  private void free(String clientIp) {
    byAddress.computeIfPresent(clientIp, (ip, held) -> held <= 1 ? null : held - 1);
    open.decrementAndGet();
  }

  /** One connection's place; {@link #release} frees it once, however often it is called. */
  final class Slot implements ConnectionAdmission.Admitted {
    private final String clientIp;
    private final AtomicBoolean released = new AtomicBoolean();

    private Slot(String clientIp) {
      this.clientIp = clientIp;
    }

    @Override
    public void release() {
      if (released.compareAndSet(false, true)) {
        free(clientIp);
      }
    }
  }

  /** A connection over a cap: its status, and when to try again. */
  static final class CapReachedException extends HeraldException {
    private final Duration retryAfter;

    CapReachedException(ErrorCode code, String message, Duration retryAfter) {
      super(code, message);
      this.retryAfter = retryAfter;
    }

    @Override
    public @Nullable Duration retryAfter() {
      return retryAfter;
    }
  }
}
