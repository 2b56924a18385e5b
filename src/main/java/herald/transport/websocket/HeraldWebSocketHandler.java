package herald.transport.websocket;

import herald.config.LimitProperties;
import herald.connection.ClientSession;
import herald.connection.ClientSessions;
import herald.connection.ConnectionLog;
import herald.connection.Heartbeat;
import herald.observability.HeraldMetrics;
import herald.observability.TransportMetrics;
import herald.protocol.CloseCode;
import herald.protocol.Command;
import herald.protocol.FrameCodec;
import herald.protocol.HeraldException;
import herald.proxy.BackendProxy;
import herald.proxy.ClientPublications;
import herald.ratelimit.RateLimits;
import herald.security.Credentials;
import herald.security.TokenVerifier;
import io.netty.buffer.ByteBufUtil;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.web.reactive.socket.CloseStatus;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;
import reactor.netty.Connection;
import reactor.netty.http.server.HttpServerRequest;
import reactor.netty.http.server.HttpServerResponse;
import reactor.netty.http.websocket.WebsocketInbound;
import reactor.netty.http.websocket.WebsocketOutbound;
import tools.jackson.databind.json.JsonMapper;

/**
 * {@code GET /ws}: one WebSocket connection from the upgrade ({@link WebSocketEndpoint}) to close.
 *
 * <p>Inbound frames are decoded and dispatched one at a time, in order; outbound frames, pings
 * included, go through the connection's {@link ChannelWriter} straight to its Netty channel,
 * encoded by the negotiated codec (publications once per codec, the same bytes for every
 * subscriber).
 */
final class HeraldWebSocketHandler {

  private static final Logger log = LoggerFactory.getLogger(HeraldWebSocketHandler.class);

  /** How long a slow consumer's close frame may wait behind its backlog before the socket drops. */
  static final Duration SLOW_CONSUMER_CLOSE_GRACE = Duration.ofSeconds(2);

  /**
   * How long the frames before a polite close (disconnect push, then close frame) may take to reach
   * a client before its connection is dropped: a backlog read at any sensible speed is out by then.
   */
  static final Duration LAST_FRAMES_GRACE = Duration.ofSeconds(10);

  /**
   * How long the server waits, once its close frame is out, for the client's close frame or end of
   * stream (reading and discarding what the client still sends) before it closes the TCP connection
   * itself.
   */
  static final Duration CLOSE_HANDSHAKE_TIMEOUT = Duration.ofSeconds(5);

  private final Map<String, FrameCodec> codecs;
  private final Map<FrameCodec, PublicationFrames> publicationFrames;
  private final FrameCodec defaultCodec;
  private final ClientSessions sessions;
  private final TokenVerifier tokens;
  private final JsonMapper json;
  private final LimitProperties limits;
  private final WebSocketProperties properties;
  private final Clock clock;
  private final Scheduler timers;
  private final Heartbeat<WebSocketConnection> heartbeat;
  private final RateLimits rateLimits;
  private final HeraldMetrics metrics;
  private final TransportMetrics transport;
  private final ClientPublications publications;
  private final BackendProxy backend;
  private final int maxFramePayloadLength;

  HeraldWebSocketHandler(
      List<FrameCodec> codecs,
      ClientSessions sessions,
      TokenVerifier tokens,
      JsonMapper json,
      LimitProperties limits,
      WebSocketProperties properties,
      Clock clock,
      Scheduler timers,
      Heartbeat<WebSocketConnection> heartbeat,
      RateLimits rateLimits,
      HeraldMetrics metrics,
      ClientPublications publications,
      BackendProxy backend,
      int maxFramePayloadLength) {
    this.codecs =
        codecs.stream().collect(Collectors.toMap(FrameCodec::subprotocol, Function.identity()));
    this.defaultCodec = codecs.get(0);
    this.publicationFrames =
        codecs.stream().collect(Collectors.toMap(Function.identity(), PublicationFrames::new));
    this.sessions = sessions;
    this.tokens = tokens;
    this.json = json;
    this.limits = limits;
    this.properties = properties;
    this.clock = clock;
    this.timers = timers;
    this.heartbeat = heartbeat;
    this.rateLimits = rateLimits;
    this.metrics = metrics;
    this.transport = metrics.websocket();
    this.publications = publications;
    this.backend = backend;
    this.maxFramePayloadLength = maxFramePayloadLength;
  }

  /** The subprotocols the node speaks, one per codec; the first is the default. */
  List<String> subprotocols() {
    return List.copyOf(codecs.keySet());
  }

  /**
   * Serves an upgraded connection.
   *
   * @param subprotocol the negotiated subprotocol, or {@code null} for the default codec
   * @param credentials what the handshake's verified token grants, or {@code null} without a token
   */
  Mono<Void> handle(
      WebsocketInbound in,
      WebsocketOutbound out,
      @Nullable String subprotocol,
      @Nullable Credentials credentials) {
    transport.handshake();
    Connection netty = (Connection) in;
    forgetHandshakeHeaders(netty);
    ClosingHandshake closing = ClosingHandshake.install(netty, CLOSE_HANDSHAKE_TIMEOUT);
    FrameCodec codec =
        subprotocol == null ? defaultCodec : codecs.getOrDefault(subprotocol, defaultCodec);
    Served served = new Served(in, out, netty, closing, codec);
    try {
      if (credentials != null) {
        return open(served, credentials, true);
      }
      return tokens.secure()
          ? open(served, Credentials.anonymousUser(), false)
          : open(served, Credentials.insecureDevelopment(), true);
    } catch (HeraldException refused) {
      return refuse(served, refused);
    }
  }

  /** What serving one connection needs of its upgrade. */
  private record Served(
      WebsocketInbound in,
      WebsocketOutbound out,
      Connection netty,
      ClosingHandshake closing,
      FrameCodec codec) {}

  /**
   * Empties the handshake's request and response headers, which Reactor Netty's WebSocket
   * connection keeps for its whole life; everything that reads them (the checks, the subprotocol,
   * permessage-deflate, the 101 response) is done once the upgrade is.
   */
  private static void forgetHandshakeHeaders(Connection connection) {
    if (connection instanceof HttpServerRequest request) {
      request.requestHeaders().clear();
    }
    if (connection instanceof HttpServerResponse response) {
      response.responseHeaders().clear();
    }
  }

  private Mono<Void> refuse(Served served, HeraldException error) {
    // No client yet: the channel's id stands in for it.
    String id = served.netty().channel().id().asShortText();
    log.atWarn()
        .addKeyValue("session", id)
        .log("session={} refused code={}", id, error.code().code());
    CloseCode code =
        switch (error.code()) {
          case RATE_LIMITED -> CloseCode.RATE_LIMIT_EXCEEDED;
          case UNAUTHORIZED -> CloseCode.UNAUTHORIZED;
          default -> CloseCode.FORBIDDEN;
        };
    if (code == CloseCode.RATE_LIMIT_EXCEEDED) {
      metrics.rateLimited(HeraldMetrics.Limit.CONNECTIONS_PER_USER);
    }
    transport.disconnected(code);
    return served.closing().close(new CloseStatus(code.code(), error.getMessage()));
  }

  private Mono<Void> open(Served served, Credentials credentials, boolean connected) {
    FrameCodec codec = served.codec();
    Connection netty = served.netty();
    ClosingHandshake closing = served.closing();
    ChannelWriter writer =
        new ChannelWriter(
            netty.channel(),
            codec,
            publicationFrames.get(codec),
            limits.outboundQueue(),
            limits.outboundQueueBytes().toBytes(),
            LAST_FRAMES_GRACE,
            transport);
    netty.addHandlerLast(WritabilityRelay.NAME, new WritabilityRelay(writer));
    Liveness liveness = new Liveness(clock);
    WebSocketConnection connection = new WebSocketConnection(writer, closing, liveness, transport);
    netty.addHandlerLast(
        PayloadChecks.NAME, new PayloadChecks(maxFramePayloadLength, connection::disconnect));
    ClientSession client = sessions.open("websocket", credentials, connection);
    CommandDispatcher dispatcher =
        new CommandDispatcher(
            client,
            connection,
            sessions,
            tokens,
            json,
            limits,
            clock,
            metrics,
            connected,
            publications,
            backend);
    InboundLimiter limiter =
        new InboundLimiter(
            rateLimits.enabled() ? rateLimits::inboundFrames : null,
            rateLimits.rejectionsBeforeClose(),
            connection,
            metrics);

    Mono<Void> inbound =
        served
            .in()
            .aggregateFrames(maxFramePayloadLength)
            .receiveFrames()
            .<Command>handle(
                (frame, commands) -> {
                  liveness.seen();
                  if (isData(frame) && !connection.closing()) {
                    Command command = decode(codec, frame, connection);
                    if (command != null) {
                      commands.next(command);
                    }
                  }
                })
            .concatMap(command -> limiter.limit(command, dispatcher.dispatch(command)))
            .then()
            .onErrorResume(TooLongFrameException.class, tooBig -> tooBig(connection))
            .doFinally(signal -> connection.terminate());

    // Frames go to the channel through the writer; this waits for the last one, then closes (on the
    // event loop, right behind it) with the closing handshake, which completes when the TCP
    // connection is closed. A slow consumer is closed by dropSlowConsumer instead, which
    // must not be cut short by this side ending first.
    Mono<Void> outbound =
        Mono.when(connection.written(), deadlines(client, connection, dispatcher))
            .then(
                Mono.defer(
                    () ->
                        connection.closeStatus().getCode() == CloseCode.SLOW_CONSUMER.code()
                            ? Mono.never()
                            : closeHandshake(client, closing, connection.closeStatus())));

    Mono<Void> serving =
        Mono.when(inbound, outbound, dispatcher.claimedAtHandshake())
            .doOnSubscribe(subscription -> heartbeat.add(connection))
            // Transport errors (reset by peer, closed mid-write) end one connection and nothing
            // else.
            .onErrorResume(error -> ended(client, error))
            .doFinally(
                signal -> {
                  heartbeat.remove(connection);
                  dispatcher.endBackendCalls();
                  releaseQuietly(client);
                })
            .or(
                connection
                    .aborted()
                    .then(Mono.defer(() -> dropSlowConsumer(served, client, connection))));
    // Counted against the user's connections on every node before anything is served.
    return sessions
        .claim(client)
        .then(Mono.just(true))
        .onErrorResume(HeraldException.class, refused -> refuse(served, refused).thenReturn(false))
        .flatMap(admitted -> admitted ? serving : Mono.empty());
  }

  /**
   * Releases the client (subscriptions, presence, its place among the user's connections) as the
   * close frame goes out, then waits for the closing handshake to end the TCP connection.
   */
  private static Mono<Void> closeHandshake(
      ClientSession client, ClosingHandshake closing, CloseStatus status) {
    releaseQuietly(client);
    return closing.close(status);
  }

  /**
   * A slow consumer is released at once (subscriptions, session, queue) rather than when its
   * connection ends: the client is not reading, so the close frame waits behind its backlog. It
   * gets {@link #SLOW_CONSUMER_CLOSE_GRACE} to read up to the close frame (4008); then the TCP
   * connection is dropped with whatever is still buffered for it.
   */
  private Mono<Void> dropSlowConsumer(
      Served served, ClientSession client, WebSocketConnection connection) {
    ConnectionLog.about(log.atInfo(), client).log("client={} user={} closed as a slow consumer");
    releaseQuietly(client);
    CloseStatus status = connection.closeStatus();
    return served
        .out()
        .sendClose(status.getCode(), status.getReason())
        .timeout(SLOW_CONSUMER_CLOSE_GRACE, Mono.empty(), timers)
        .onErrorResume(error -> Mono.empty())
        // Drops whatever was not written yet.
        .doFinally(signal -> served.netty().channel().close());
  }

  /**
   * A message whose fragments add up to more than the size limit (a single frame over it is refused
   * by the frame decoder, which closes with 1009 itself): the same close, 1009.
   */
  private static Mono<Void> tooBig(WebSocketConnection connection) {
    connection.disconnect(CloseCode.TOO_BIG, "message too big");
    return Mono.empty();
  }

  /**
   * The timers of a connection besides pings (the node's one WebSocket {@link Heartbeat}): the
   * connect deadline, for connections that opened without a token, and token expiry. Completes when
   * the connection ends.
   */
  private Mono<Void> deadlines(
      ClientSession client, WebSocketConnection connection, CommandDispatcher dispatcher) {
    Mono<Void> expiry =
        client
            .expiry(timers)
            .doOnSuccess(done -> connection.disconnect(CloseCode.UNAUTHORIZED, "token expired"));
    if (!dispatcher.connected()) {
      Mono<Void> connectDeadline =
          Mono.delay(properties.connectTimeout(), timers)
              .filter(tick -> !dispatcher.connected())
              .doOnNext(tick -> connection.disconnect(CloseCode.UNAUTHORIZED, "connect timeout"))
              .then();
      expiry = Mono.when(connectDeadline, expiry);
    }
    return expiry.takeUntilOther(connection.ended());
  }

  private static boolean isData(WebSocketFrame frame) {
    return frame instanceof TextWebSocketFrame || frame instanceof BinaryWebSocketFrame;
  }

  /** Decodes a frame; a frame of the wrong kind for the subprotocol closes with 4400 instead. */
  private static @Nullable Command decode(
      FrameCodec codec, WebSocketFrame frame, WebSocketConnection connection) {
    boolean binary = frame instanceof BinaryWebSocketFrame;
    if (binary != codec.binary()) {
      connection.disconnect(
          CloseCode.PROTOCOL_VIOLATION,
          (binary ? "binary" : "text") + " frames are not allowed on " + codec.subprotocol());
      return null;
    }
    // Copied: Reactor Netty releases the frame once this returns.
    return codec.decode(ByteBufUtil.getBytes(frame.content()));
  }

  private static Mono<Void> ended(ClientSession client, Throwable error) {
    if (error instanceof Error) {
      // Not a client going away: a fault in the server (in tests, BlockHound's blocking-call
      // error).
      ConnectionLog.about(log.atWarn(), client)
          .setCause(error)
          .log(
              "client={} user={} connection ended by an error in the server: {}", error.toString());
    } else {
      ConnectionLog.about(log.atDebug(), client)
          .log("client={} user={} connection ended: {}", error.toString());
    }
    return Mono.empty();
  }

  private static void releaseQuietly(ClientSession client) {
    // Runs on every terminal signal, including cancel, where nobody would subscribe to the release.
    client
        .close()
        .subscribe(
            done -> {},
            error ->
                ConnectionLog.about(log.atWarn(), client)
                    .log("client={} user={} release failed: {}", error.toString()));
  }
}
