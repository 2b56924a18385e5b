package herald.observability;

import herald.connection.ClientSessions;
import herald.registry.ChannelRegistry;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;

/**
 * Herald's {@code herald_*} meters (README "Operations"), registered once at start so that every
 * series exists from the first scrape, and handed to the code that moves them. Tags are low
 * cardinality only: transport, source, limit, close code; never a channel or a user.
 *
 * <p>Gauges (connections, subscriptions, channels) are read from their owners when Prometheus
 * scrapes, so they cost nothing in between. The Redis engine registers its own gauges (engine
 * state, circuit breakers, command queue) beside it, since only the engine can see them.
 */
public final class HeraldMetrics {

  /** The transports, as the {@code transport} tag spells them. */
  public static final String WEBSOCKET = "websocket";

  public static final String SSE = "sse";

  /** Where a publication came from, the {@code source} tag. */
  public enum Source {
    API,
    CLIENT
  }

  /** The rate limits of README "Limits and protection", the {@code limit} tag. */
  public enum Limit {
    CONNECTIONS_PER_IP("connections-per-ip"),
    CONNECTIONS_PER_USER("connections-per-user"),
    INBOUND_FRAMES("inbound-frames"),
    API_PUBLISHES("api-publishes"),
    HTTP_COMMANDS("http-commands");

    private final String tag;

    Limit(String tag) {
      this.tag = tag;
    }
  }

  private final TransportMetrics websocket;
  private final TransportMetrics sse;
  private final Map<Source, Counter> publications = new EnumMap<>(Source.class);
  private final Map<Limit, Counter> rejections = new EnumMap<>(Limit.class);

  public HeraldMetrics(MeterRegistry registry) {
    this.websocket = new TransportMetrics(registry, WEBSOCKET);
    this.sse = new TransportMetrics(registry, SSE);
    for (Source source : Source.values()) {
      publications.put(
          source,
          Counter.builder("herald.publications")
              .description("Publications accepted on this node, by who published them")
              .tag("source", source.name().toLowerCase(Locale.ROOT))
              .register(registry));
    }
    for (Limit limit : Limit.values()) {
      rejections.put(
          limit,
          Counter.builder("herald.rate.limited")
              .description("Requests, frames and connections refused by a rate or count limit")
              .tag("limit", limit.tag)
              .register(registry));
    }
  }

  /** Meters that count into a registry nobody reads: for code built outside the application. */
  public static HeraldMetrics unregistered() {
    return new HeraldMetrics(new SimpleMeterRegistry());
  }

  /** The gauges of what this node holds, read from their owners at each scrape. */
  void bind(MeterRegistry registry, ClientSessions sessions, ChannelRegistry channels) {
    for (String transport : new String[] {WEBSOCKET, SSE}) {
      Gauge.builder("herald.connections", sessions, held -> held.count(transport))
          .description("Open client connections")
          .tag("transport", transport)
          .register(registry);
    }
    Gauge.builder("herald.subscriptions", channels, ChannelRegistry::subscriptionCount)
        .description("Subscriptions held by this node's connections, across channels")
        .register(registry);
    Gauge.builder("herald.channels", channels, ChannelRegistry::channelCount)
        .description("Channels with at least one subscriber on this node")
        .register(registry);
  }

  public TransportMetrics websocket() {
    return websocket;
  }

  public TransportMetrics sse() {
    return sse;
  }

  /** {@code count} publications were accepted from {@code source}. */
  public void published(Source source, int count) {
    publications.get(source).increment(count);
  }

  /** {@code limit} refused something. */
  public void rateLimited(Limit limit) {
    rejections.get(limit).increment();
  }
}
