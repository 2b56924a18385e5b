package herald.observability;

import herald.protocol.CloseCode;
import io.micrometer.core.instrument.Clock;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The meters of one transport ({@code websocket} or {@code sse}), created once and cached: the hot
 * path only increments counters it already holds (Micrometer's counters are striped adders, so no
 * lock and no allocation) and records the delivery lag once per write batch, never per frame.
 */
public final class TransportMetrics {

  /** What {@link #delivered} takes when the batch held no live publication to time. */
  public static final long NOT_TIMED = Long.MAX_VALUE;

  /** Delivery-lag buckets: the service levels a push server is judged by, 1 ms to 10 s. */
  static final Duration[] LAG_BUCKETS = {
    Duration.ofMillis(1),
    Duration.ofMillis(2),
    Duration.ofMillis(5),
    Duration.ofMillis(10),
    Duration.ofMillis(25),
    Duration.ofMillis(50),
    Duration.ofMillis(100),
    Duration.ofMillis(250),
    Duration.ofMillis(500),
    Duration.ofSeconds(1),
    Duration.ofMillis(2500),
    Duration.ofSeconds(5),
    Duration.ofSeconds(10)
  };

  private final Clock clock;
  private final Counter handshakes;
  private final Counter deliveries;
  private final Timer lag;
  private final Counter slowConsumers;
  private final Map<CloseCode, Counter> disconnects = new EnumMap<>(CloseCode.class);
  private final Counter clientClosed;

  TransportMetrics(MeterRegistry registry, String transport) {
    this.clock = registry.config().clock();
    this.handshakes =
        Counter.builder("herald.handshakes")
            .description("Connections that reached the handler (after the per-IP limit)")
            .tag("transport", transport)
            .register(registry);
    this.deliveries =
        Counter.builder("herald.deliveries")
            .description("Publications written to clients' sockets")
            .tag("transport", transport)
            .register(registry);
    this.lag =
        Timer.builder("herald.delivery.lag")
            .description(
                "From the engine accepting a live publication to its frame being written to a"
                    + " socket; one sample per write batch of a connection (its oldest publication)")
            .tag("transport", transport)
            .serviceLevelObjectives(LAG_BUCKETS)
            .register(registry);
    this.slowConsumers =
        Counter.builder("herald.slow.consumers")
            .description("Connections closed because they did not read fast enough")
            .tag("transport", transport)
            .register(registry);
    for (CloseCode code : CloseCode.values()) {
      disconnects.put(code, disconnects(registry, transport, String.valueOf(code.code())));
    }
    this.clientClosed = disconnects(registry, transport, "client");
  }

  private static Counter disconnects(MeterRegistry registry, String transport, String code) {
    return Counter.builder("herald.disconnects")
        .description("Connections ended, by close code; code=client when the client left")
        .tag("transport", transport)
        .tag("code", code)
        .register(registry);
  }

  /** A connection reached the handler. */
  public void handshake() {
    handshakes.increment();
  }

  /**
   * {@code publications} publications were written to one connection's socket in one batch, the
   * oldest of its live ones accepted at {@code oldestAcceptedAt} (epoch milliseconds, the
   * publication's {@code ts}), or {@link #NOT_TIMED} when none was live (replays only).
   */
  public void delivered(int publications, long oldestAcceptedAt) {
    deliveries.increment(publications);
    if (oldestAcceptedAt != NOT_TIMED) {
      // Wall clock: the publication may have been accepted on another node. Skew below zero is 0.
      long lagMillis = Math.max(0, clock.wallTime() - oldestAcceptedAt);
      lag.record(lagMillis, TimeUnit.MILLISECONDS);
    }
  }

  /** The server ended a connection with {@code code}; a slow consumer is also counted as such. */
  public void disconnected(CloseCode code) {
    disconnects.get(code).increment();
    if (code == CloseCode.SLOW_CONSUMER) {
      slowConsumers.increment();
    }
  }

  /** The client closed the connection or went away. */
  public void clientClosed() {
    clientClosed.increment();
  }
}
