package herald.engine.redis;

import io.github.resilience4j.micrometer.tagged.CircuitBreakerMetricNames;
import io.github.resilience4j.micrometer.tagged.TaggedCircuitBreakerMetrics;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;

/**
 * The Redis engine's meters (README "Operations"), which only the engine can see: whether its
 * connections are up, its circuit breakers (Resilience4j's own binder, renamed under {@code
 * herald_redis_}), and the queued lane's gate. Gauges are read at each scrape; nothing here runs
 * per command.
 */
final class RedisEngineMetrics implements MeterBinder {

  private static final CircuitBreakerMetricNames BREAKER_NAMES =
      CircuitBreakerMetricNames.custom()
          .stateMetricName("herald.redis.circuit.breaker.state")
          .callsMetricName("herald.redis.circuit.breaker.calls")
          .notPermittedCallsMetricName("herald.redis.circuit.breaker.not.permitted.calls")
          .bufferedCallsMetricName("herald.redis.circuit.breaker.buffered.calls")
          .slowCallsMetricName("herald.redis.circuit.breaker.slow.calls")
          .failureRateMetricName("herald.redis.circuit.breaker.failure.rate")
          .slowCallRateMetricName("herald.redis.circuit.breaker.slow.call.rate")
          .build();

  private final RedisEngine engine;

  RedisEngineMetrics(RedisEngine engine) {
    this.engine = engine;
  }

  @Override
  public void bindTo(MeterRegistry registry) {
    RedisConnector connector = engine.connector();
    Gauge.builder("herald.redis.connected", connector, up -> up.isConnected() ? 1 : 0)
        .description("1 while the Redis command connection is open")
        .tag("connection", "commands")
        .register(registry);
    Gauge.builder("herald.redis.connected", engine, up -> up.pubSubConnected() ? 1 : 0)
        .description("1 while every Redis pub/sub connection is open")
        .tag("connection", "pubsub")
        .register(registry);
    CommandGate gate = connector.gate();
    Gauge.builder("herald.redis.commands.queued", gate, CommandGate::queued)
        .description("Per-subscriber Redis commands waiting for a place on the connection")
        .register(registry);
    Gauge.builder("herald.redis.commands.in.flight", gate, CommandGate::inFlight)
        .description("Per-subscriber Redis commands on the connection now")
        .register(registry);
    TaggedCircuitBreakerMetrics.ofCircuitBreakerRegistry(BREAKER_NAMES, connector.breakers())
        .bindTo(registry);
  }
}
