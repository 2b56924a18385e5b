package herald.proxy;

import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.github.resilience4j.micrometer.tagged.CircuitBreakerMetricNames;
import io.github.resilience4j.micrometer.tagged.TaggedCircuitBreakerMetrics;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;

/**
 * The backend targets' circuit breakers, one per target (named {@code rpc} or {@code
 * <namespace>.publish-proxy}, so bounded by the configuration), and their meters: Resilience4j's
 * own binder under {@code herald_proxy_circuit_breaker_*}, as the Redis engine's are under {@code
 * herald_redis_}.
 */
final class ProxyBreakers implements MeterBinder {

  private static final CircuitBreakerMetricNames NAMES =
      CircuitBreakerMetricNames.custom()
          .stateMetricName("herald.proxy.circuit.breaker.state")
          .callsMetricName("herald.proxy.circuit.breaker.calls")
          .notPermittedCallsMetricName("herald.proxy.circuit.breaker.not.permitted.calls")
          .bufferedCallsMetricName("herald.proxy.circuit.breaker.buffered.calls")
          .slowCallsMetricName("herald.proxy.circuit.breaker.slow.calls")
          .failureRateMetricName("herald.proxy.circuit.breaker.failure.rate")
          .slowCallRateMetricName("herald.proxy.circuit.breaker.slow.call.rate")
          .build();

  private final CircuitBreakerRegistry registry;

  ProxyBreakers(CircuitBreakerRegistry registry) {
    this.registry = registry;
  }

  CircuitBreakerRegistry registry() {
    return registry;
  }

  @Override
  public void bindTo(MeterRegistry meters) {
    TaggedCircuitBreakerMetrics.ofCircuitBreakerRegistry(NAMES, registry).bindTo(meters);
  }
}
