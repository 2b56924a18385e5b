package herald.proxy;

import herald.config.LimitProperties;
import herald.config.NamespaceProperties;
import herald.config.PerNamespace;
import herald.schema.PublicationSchemas;
import herald.security.ChannelPermissions;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.netty.channel.ChannelOption;
import java.time.Duration;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.http.client.reactive.ReactorClientHttpConnector;
import org.springframework.web.reactive.function.client.WebClient;
import reactor.core.scheduler.Schedulers;
import reactor.netty.http.client.HttpClient;
import reactor.netty.resources.ConnectionProvider;
import tools.jackson.databind.json.JsonMapper;

/**
 * The HTTP client that calls backends, its connection pool and circuit breakers, and the checks of
 * client publications. URLs are checked here, at start-up: a malformed one stops it.
 */
@Configuration(proxyBeanMethods = false)
class ProxyConfiguration {

  private static final Logger log = LoggerFactory.getLogger(ProxyConfiguration.class);

  /**
   * Pooled connections idle longer than this are closed rather than reused: common backends (Node's
   * http server among them) close idle keep-alive connections after about 5 s, and a request sent
   * on one just being closed fails.
   */
  static final Duration MAX_IDLE = Duration.ofSeconds(4);

  /** The pool of HTTP connections to backends, its own (not the server's), with its limits. */
  @Bean(destroyMethod = "dispose")
  ConnectionProvider backendConnections(BackendProxyProperties properties) {
    return ConnectionProvider.builder("herald-proxy")
        .maxConnections(properties.maxConnections())
        .pendingAcquireMaxCount(properties.maxPendingAcquires())
        .pendingAcquireTimeout(properties.timeout())
        .maxIdleTime(MAX_IDLE)
        .build();
  }

  /** The breakers of every backend target, one per target, for metrics. */
  @Bean
  ProxyBreakers proxyBreakers(BackendProxyProperties properties) {
    CircuitBreakerConfig config =
        CircuitBreakerConfig.custom()
            .slidingWindowSize(10)
            .minimumNumberOfCalls(5)
            .failureRateThreshold(50)
            .waitDurationInOpenState(properties.breakerOpenDuration())
            .permittedNumberOfCallsInHalfOpenState(2)
            .recordException(BackendCalls::countsAsFailure)
            .build();
    return new ProxyBreakers(CircuitBreakerRegistry.of(config));
  }

  @Bean
  BackendProxy backendProxy(
      BackendProxyProperties properties,
      NamespaceProperties namespaces,
      ConnectionProvider backendConnections,
      ProxyBreakers breakers,
      LimitProperties limits,
      JsonMapper json) {
    HttpClient client =
        HttpClient.create(backendConnections)
            .option(
                ChannelOption.CONNECT_TIMEOUT_MILLIS,
                (int) Math.min(properties.timeout().toMillis(), Integer.MAX_VALUE));
    WebClient http =
        WebClient.builder().clientConnector(new ReactorClientHttpConnector(client)).build();
    BackendCalls calls =
        new BackendCalls(
            http,
            json,
            properties.timeout(),
            (int) properties.maxAnswerSize().toBytes(),
            Schedulers.parallel(),
            properties.headers());
    PerNamespace<ProxyTarget> publishProxies =
        PerNamespace.build(
            namespaces,
            (prefix, namespace) ->
                target(breakers, prefix + ".publish-proxy", namespace.publishProxy()));
    ProxyTarget rpc = target(breakers, "herald.proxy.rpc", properties.rpc());
    return new BackendProxy(
        publishProxies,
        rpc,
        calls,
        properties.maxInFlightPerConnection(),
        limits.maxMessageSize().toBytes());
  }

  @Bean
  ClientPublications clientPublications(
      ChannelPermissions permissions, PublicationSchemas schemas, BackendProxy proxy) {
    return new ClientPublications(permissions, schemas, proxy);
  }

  private static @Nullable ProxyTarget target(
      ProxyBreakers breakers, String setting, @Nullable String url) {
    if (url == null || url.isBlank()) {
      return null;
    }
    String name = setting.replaceFirst("^herald\\.(namespaces\\.|proxy\\.)?", "");
    ProxyTarget target =
        new ProxyTarget(
            name, ProxyTarget.url(setting, url), breakers.registry().circuitBreaker(name));
    // The host only: the path or a query may carry credentials.
    log.info("proxy setting={} host={} enabled", setting, target.uri().getHost());
    return target;
  }
}
