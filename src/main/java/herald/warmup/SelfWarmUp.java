package herald.warmup;

import herald.channel.ChannelName;
import herald.engine.Engine;
import io.netty.handler.codec.http.HttpHeaderNames;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;
import reactor.netty.http.client.HttpClient;
import reactor.netty.http.client.WebsocketClientSpec;
import reactor.netty.resources.ConnectionProvider;
import reactor.netty.resources.LoopResources;
import reactor.util.retry.Retry;
import tools.jackson.databind.node.JsonNodeFactory;

/**
 * Runs the warm-up once the node has started (README, "Warm-up"): opens the connections to the node
 * (WebSocket, one in ten SSE), a hundred at a time, each subscribing to one channel of its own;
 * publishes to that channel from one of the server's event loops, as a client's or the API's
 * publication would be; waits until every connection got every publication and closed. Readiness
 * waits for it ({@link WarmUpHealthIndicator}), for at most the warm-up's timeout.
 */
final class SelfWarmUp {

  private static final Logger log = LoggerFactory.getLogger(SelfWarmUp.class);

  private static final int HANDSHAKES_IN_FLIGHT = 100;
  private static final Duration ENGINE_RETRY = Duration.ofMillis(250);

  /** One connection in ten is an SSE stream, as dashboards open them. */
  private static final int SSE_EVERY = 10;

  private static final String SUBPROTOCOL = "herald.json";

  private final WarmUpProperties properties;
  private final WarmUpPass pass;
  private final @Nullable WarmUpTokens tokens;
  private final Engine engine;
  private final Executor serverLoop;
  private volatile WarmUpStatus status = WarmUpStatus.WAITING;

  /**
   * @param tokens mints the connections' tokens; {@code null} connects without one (development
   *     mode)
   * @param serverLoop one of the web server's event loops, where the publications are made
   */
  SelfWarmUp(
      WarmUpProperties properties,
      WarmUpPass pass,
      @Nullable WarmUpTokens tokens,
      Engine engine,
      Executor serverLoop) {
    this.properties = properties;
    this.pass = pass;
    this.tokens = tokens;
    this.engine = engine;
    this.serverLoop = serverLoop;
  }

  WarmUpStatus status() {
    return status;
  }

  /** Ends the warm-up before it began: readiness no longer waits for it. */
  void skip(String reason) {
    pass.close();
    status = WarmUpStatus.skipped(reason);
    log.info("warm-up skipped: {}", reason);
  }

  /** Starts the warm-up against the node listening at {@code node}; returns at once. */
  void start(InetSocketAddress node) {
    status = WarmUpStatus.RUNNING;
    long started = System.nanoTime();
    AtomicLong delivered = new AtomicLong();
    LoopResources loops = LoopResources.create("herald-warm-up", 1, true);
    List<WarmUpClient> connections = new CopyOnWriteArrayList<>();
    engineReady()
        .then(run(node, loops, connections, delivered))
        .timeout(properties.timeout())
        .doFinally(
            signal -> {
              pass.close();
              connections.forEach(WarmUpClient::close);
              loops.disposeLater().subscribe();
            })
        .subscribe(
            done -> {},
            error -> {
              status = WarmUpStatus.failed(error.toString());
              log.warn(
                  "warm-up ended early after {} ms, the node is ready without it: {}",
                  millisSince(started),
                  error.toString());
            },
            () -> {
              long millis = millisSince(started);
              long streams = connections.stream().filter(WarmUpStream.class::isInstance).count();
              status =
                  WarmUpStatus.done(
                      Map.of(
                          "connections",
                          connections.size(),
                          "sseStreams",
                          streams,
                          "deliveries",
                          delivered.get(),
                          "millis",
                          millis));
              log.info(
                  "warm-up: {} connections ({} of them SSE streams), {} deliveries in {} ms",
                  connections.size(),
                  streams,
                  delivered.get(),
                  millis);
            });
  }

  /**
   * Completes once the engine answers: a node on Redis starts before it reaches Redis, and a
   * warm-up that began without it would end at once. The warm-up's timeout bounds the wait.
   */
  private Mono<Void> engineReady() {
    return engine.ping().then().retryWhen(Retry.fixedDelay(Long.MAX_VALUE, ENGINE_RETRY));
  }

  private Mono<Void> run(
      InetSocketAddress node,
      LoopResources loops,
      List<WarmUpClient> connections,
      AtomicLong delivered) {
    ChannelName channel =
        ChannelName.of(
            "herald-warm-up:" + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextLong()));
    HttpClient client =
        HttpClient.create(ConnectionProvider.newConnection())
            .runOn(loops)
            .remoteAddress(() -> node)
            .headers(headers -> headers.set(WarmUpPass.HEADER, pass.value()));
    WebsocketClientSpec spec = WebsocketClientSpec.builder().protocols(SUBPROTOCOL).build();
    return Flux.range(0, properties.connections())
        .flatMap(
            index -> {
              WarmUpClient connection = open(client, spec, index, channel, delivered);
              connections.add(connection);
              return connection.joined();
            },
            HANDSHAKES_IN_FLIGHT)
        .then(publish(channel))
        .thenMany(Flux.fromIterable(connections).flatMap(WarmUpClient::finished))
        .then();
  }

  /**
   * Opens connection {@code index}: every {@value #SSE_EVERY}th an SSE stream, the others WebSocket
   * connections; the token as a query parameter on even ones and as a header on odd ones, since
   * clients use both.
   */
  private WarmUpClient open(
      HttpClient client,
      WebsocketClientSpec spec,
      int index,
      ChannelName channel,
      AtomicLong delivered) {
    String query = "";
    HttpClient authorized = client;
    if (tokens != null) {
      String token = tokens.mint(index, channel);
      if (index % 2 == 0) {
        query = "token=" + token;
      } else {
        authorized =
            client.headers(
                headers -> headers.set(HttpHeaderNames.AUTHORIZATION, "Bearer " + token));
      }
    }
    if (index % SSE_EVERY == 0) { // even: the token in the query, as browsers' EventSource sends it
      WarmUpStream stream = new WarmUpStream(properties.publications(), delivered);
      String channelParameter = "channel=" + channel.value();
      stream.open(
          authorized.get().uri("/sse?" + (query.isEmpty() ? "" : query + "&") + channelParameter));
      return stream;
    }
    WarmUpConnection connection =
        new WarmUpConnection(channel.value(), properties.publications(), delivered);
    connection.open(authorized.websocket(spec).uri(query.isEmpty() ? "/ws" : "/ws?" + query));
    return connection;
  }

  private Mono<Void> publish(ChannelName channel) {
    return Flux.range(1, properties.publications())
        .concatMap(
            index -> engine.publish(channel, JsonNodeFactory.instance.numberNode(index), null))
        .subscribeOn(Schedulers.fromExecutor(serverLoop))
        .then();
  }

  private static long millisSince(long started) {
    return Duration.ofNanos(System.nanoTime() - started).toMillis();
  }
}
