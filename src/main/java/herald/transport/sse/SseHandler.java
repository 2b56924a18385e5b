package herald.transport.sse;

import herald.channel.ChannelName;
import herald.channel.StreamPosition;
import herald.config.LimitProperties;
import herald.connection.ClientSession;
import herald.connection.ClientSessions;
import herald.connection.ConnectionLog;
import herald.connection.Heartbeat;
import herald.observability.HeraldMetrics;
import herald.protocol.CloseCode;
import herald.protocol.ErrorCode;
import herald.protocol.HeraldException;
import herald.security.BearerTokens;
import herald.security.ChannelPermissions;
import herald.security.Credentials;
import herald.security.TokenVerifier;
import io.netty.buffer.ByteBufAllocator;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.NettyDataBufferFactory;
import org.springframework.http.MediaType;
import org.springframework.http.server.reactive.ServerHttpResponseDecorator;
import org.springframework.web.reactive.function.BodyInserters;
import org.springframework.web.reactive.function.server.ServerRequest;
import org.springframework.web.reactive.function.server.ServerResponse;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;
import reactor.netty.Connection;
import reactor.util.retry.Retry;
import tools.jackson.databind.json.JsonMapper;

/**
 * {@code GET /sse?channel=a&channel=b}: a resumable event stream over one or more channels.
 *
 * <p>Everything that can be refused (channel names, token, permissions, cursor) is checked before
 * the response starts, so those errors get a status and a JSON body. Then the stream sends {@code
 * retry:}, subscribes to every channel (replaying from the cursor), sets the client's Last-Event-ID
 * with an id-only block, and goes live with heartbeat comments.
 */
final class SseHandler {

  private static final Logger log = LoggerFactory.getLogger(SseHandler.class);
  static final String LAST_EVENT_ID = "Last-Event-ID";
  static final Duration SLOW_CONSUMER_GRACE = Duration.ofSeconds(5);
  private static final Duration ENGINE_RETRY_FIRST = Duration.ofMillis(250);
  private static final Duration ENGINE_RETRY_LONGEST = Duration.ofSeconds(2);

  private final ClientSessions sessions;
  private final ChannelPermissions permissions;
  private final TokenVerifier tokens;
  private final JsonMapper json;
  private final LimitProperties limits;
  private final SseProperties properties;
  private final Scheduler timers;
  private final Heartbeat<SseConnection> heartbeat;
  private final HeraldMetrics metrics;
  private final NettyDataBufferFactory buffers =
      new NettyDataBufferFactory(ByteBufAllocator.DEFAULT);

  SseHandler(
      ClientSessions sessions,
      ChannelPermissions permissions,
      TokenVerifier tokens,
      JsonMapper json,
      LimitProperties limits,
      SseProperties properties,
      Scheduler timers,
      Heartbeat<SseConnection> heartbeat,
      HeraldMetrics metrics) {
    this.sessions = sessions;
    this.permissions = permissions;
    this.tokens = tokens;
    this.json = json;
    this.limits = limits;
    this.properties = properties;
    this.timers = timers;
    this.heartbeat = heartbeat;
    this.metrics = metrics;
  }

  Mono<ServerResponse> stream(ServerRequest request) {
    metrics.sse().handshake();
    return Mono.defer(() -> checkedStream(request)).doOnError(this::countRefusal);
  }

  private void countRefusal(Throwable error) {
    if (error instanceof HeraldException herald && herald.code() == ErrorCode.RATE_LIMITED) {
      metrics.rateLimited(HeraldMetrics.Limit.CONNECTIONS_PER_USER);
    }
  }

  private Mono<ServerResponse> checkedStream(ServerRequest request) {
    // The token first (401), as when Spring Security checked it ahead of the handler.
    return credentials(request)
        .flatMap(
            credentials -> {
              Set<ChannelName> channels = channels(request);
              Map<ChannelName, StreamPosition> resumed = cursor(request, channels);
              channels.forEach(channel -> permissions.checkSubscribe(credentials, channel));
              return open(credentials, channels, resumed, dropper(request));
            })
        .flatMap(
            events ->
                ServerResponse.ok()
                    .contentType(MediaType.TEXT_EVENT_STREAM)
                    .header("Cache-Control", "no-cache")
                    .header("X-Accel-Buffering", "no")
                    .body(BodyInserters.fromDataBuffers(events)));
  }

  /**
   * The credentials of the request's token (401 when it is bad), or those of a connection without
   * one. Verified here rather than by Spring Security, whose filters would stay subscribed as long
   * as the stream (SecurityConfiguration#clientSecurity).
   */
  private Mono<Credentials> credentials(ServerRequest request) {
    String token = BearerTokens.of(request.exchange().getRequest());
    if (token != null) {
      return tokens.verify(token);
    }
    return Mono.fromCallable(permissions::withoutToken);
  }

  /**
   * The stream of a new connection, once the connection is counted against its user's limit on
   * every node (429 before the stream starts when it is over).
   */
  private Mono<Flux<DataBuffer>> open(
      Credentials credentials,
      Set<ChannelName> channels,
      Map<ChannelName, StreamPosition> resumed,
      Runnable drop) {
    SseConnection connection =
        new SseConnection(
            limits.outboundQueue(), limits.outboundQueueBytes().toBytes(), json, metrics.sse());
    ClientSession client = sessions.open("sse", credentials, connection);
    SseRenderer renderer = new SseRenderer(json, buffers, resumed);

    Mono<Void> subscribeAll =
        Flux.fromIterable(channels)
            .flatMap(channel -> subscribeWhenAvailable(client, connection, channel, resumed))
            .then(Mono.fromRunnable(connection::checkpoint))
            .onErrorResume(error -> failed(client, connection, error))
            .then();

    // Heartbeats come through the queue from the node's one SSE heartbeat timer.
    Flux<DataBuffer> deadlines =
        Mono.when(
                client
                    .expiry(timers)
                    .doOnSuccess(
                        done -> connection.disconnect(CloseCode.UNAUTHORIZED, "token expired")),
                subscribeAll)
            .takeUntilOther(connection.ended())
            .then(Mono.<DataBuffer>empty())
            .flux();

    // A slow consumer's backlog is dropped at once and its session released without waiting for it
    // to read: it holds no demand, so nothing that needs a request may stand in the way. The
    // disconnect event then follows whatever its socket already holds, as README "Limits and
    // protection" says.
    Mono<Void> aborted = connection.aborted().doOnSuccess(done -> release(client, connection));
    Flux<DataBuffer> stream =
        Flux.concat(
                Mono.fromSupplier(() -> SseRenderer.retry(buffers, properties.retry())),
                connection
                    .queue()
                    .items()
                    .mapNotNull(event -> rendered(connection, renderer, event))
                    .mergeWith(deadlines)
                    .takeUntilOther(aborted),
                Mono.defer(() -> slowConsumerNotice(connection, renderer)))
            .doOnSubscribe(subscription -> heartbeat.add(connection))
            .doFinally(
                signal -> {
                  heartbeat.remove(connection);
                  release(client, connection);
                  dropIfStuck(connection, drop);
                });
    return sessions.claim(client).thenReturn(stream);
  }

  private static @Nullable DataBuffer rendered(
      SseConnection connection, SseRenderer renderer, SseEvent event) {
    DataBuffer rendered = renderer.render(event);
    connection.written(event);
    return rendered;
  }

  /**
   * Subscribes, and while the engine is unavailable (Redis down, also since start-up) tries again
   * with backoff instead of ending the stream: the client keeps its connection and heartbeats, and
   * the channel goes live, with its replay, as soon as the engine is back (README "Cluster").
   */
  private Mono<Void> subscribeWhenAvailable(
      ClientSession client,
      SseConnection connection,
      ChannelName channel,
      Map<ChannelName, StreamPosition> resumed) {
    return client
        .subscribe(channel, resumed.get(channel), connection::positioned)
        .retryWhen(
            Retry.backoff(Long.MAX_VALUE, ENGINE_RETRY_FIRST)
                .maxBackoff(ENGINE_RETRY_LONGEST)
                .scheduler(timers)
                .filter(SseHandler::engineUnavailable));
  }

  private static boolean engineUnavailable(Throwable error) {
    return error instanceof HeraldException herald && herald.code() == ErrorCode.ENGINE_UNAVAILABLE;
  }

  /**
   * Once a stream ended as a slow consumer, its client gets {@link #SLOW_CONSUMER_GRACE} to read up
   * to the {@code disconnect} event; if its socket still cannot take more by then, the TCP
   * connection is dropped with whatever is buffered for it, since a client that does not read would
   * otherwise hold those buffers for as long as it likes.
   */
  private void dropIfStuck(SseConnection connection, Runnable drop) {
    if (!connection.isAborted()) {
      return;
    }
    // A timer owned by nobody else: the stream it belongs to has already ended.
    Mono.delay(SLOW_CONSUMER_GRACE, timers).subscribe(tick -> drop.run());
  }

  /**
   * How to drop the request's TCP connection when its client is stuck (the socket cannot take
   * more); a no-op off Reactor Netty.
   */
  private static Runnable dropper(ServerRequest request) {
    Object nativeResponse;
    try {
      nativeResponse =
          ServerHttpResponseDecorator.getNativeResponse(request.exchange().getResponse());
    } catch (IllegalArgumentException notNetty) {
      return () -> {};
    }
    if (!(nativeResponse instanceof Connection connection)) {
      return () -> {};
    }
    return () -> {
      if (connection.channel().isActive() && !connection.channel().isWritable()) {
        connection.channel().close();
      }
    };
  }

  private static Mono<DataBuffer> slowConsumerNotice(
      SseConnection connection, SseRenderer renderer) {
    if (!connection.isAborted()) {
      return Mono.empty();
    }
    return Mono.justOrEmpty(
        renderer.render(new SseEvent.Disconnect(CloseCode.SLOW_CONSUMER, "slow consumer")));
  }

  private Mono<Void> failed(ClientSession client, SseConnection connection, Throwable error) {
    if (error instanceof HeraldException herald) {
      ConnectionLog.about(log.atWarn(), client)
          .log("client={} user={} sse subscribe failed code={}", herald.code().code());
      connection.disconnect(CloseCode.GOING_AWAY, herald.getMessage());
    } else {
      ConnectionLog.about(log.atError(), client)
          .setCause(error)
          .log("client={} user={} sse subscribe failed");
      connection.disconnect(CloseCode.GOING_AWAY, "internal error");
    }
    return Mono.empty();
  }

  private static void release(ClientSession client, SseConnection connection) {
    connection.terminate();
    // Runs on every terminal signal, including cancel, where nobody would subscribe to the release.
    client
        .close()
        .subscribe(
            done -> {},
            error ->
                ConnectionLog.about(log.atWarn(), client)
                    .log("client={} user={} release failed: {}", error.toString()));
  }

  private Set<ChannelName> channels(ServerRequest request) {
    List<String> names = request.queryParams().getOrDefault("channel", List.of());
    if (names.isEmpty()) {
      throw HeraldException.badRequest("name at least one channel: /sse?channel=...");
    }
    if (names.size() > properties.maxChannels()) {
      throw HeraldException.badRequest(
          "too many channels: at most " + properties.maxChannels() + " per SSE request");
    }
    Set<ChannelName> channels = new LinkedHashSet<>();
    for (String name : names) {
      if (!ChannelName.isValid(name)) {
        throw HeraldException.badRequest(
            "bad channel name: use 1-255 characters of A-Z a-z 0-9 _ - . : @ =");
      }
      channels.add(ChannelName.of(name));
    }
    return channels;
  }

  private static Map<ChannelName, StreamPosition> cursor(
      ServerRequest request, Set<ChannelName> channels) {
    String cursor = request.headers().firstHeader(LAST_EVENT_ID);
    if (cursor == null || cursor.isBlank()) {
      cursor = request.queryParam("lastEventId").orElse(null);
    }
    if (cursor == null || cursor.isBlank()) {
      return Map.of();
    }
    Map<ChannelName, StreamPosition> positions;
    try {
      positions = SseCursor.decode(cursor.trim());
    } catch (IllegalArgumentException e) {
      throw HeraldException.badRequest("invalid Last-Event-ID");
    }
    positions.keySet().retainAll(channels);
    return positions;
  }
}
