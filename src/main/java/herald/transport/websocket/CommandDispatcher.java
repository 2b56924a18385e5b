package herald.transport.websocket;

import herald.config.LimitProperties;
import herald.connection.ClientSession;
import herald.connection.ClientSessions;
import herald.connection.ConnectionLog;
import herald.engine.HistoryPage;
import herald.engine.HistoryQuery;
import herald.engine.PresenceQuery;
import herald.observability.HeraldMetrics;
import herald.protocol.CloseCode;
import herald.protocol.Command;
import herald.protocol.ErrorCode;
import herald.protocol.HeraldException;
import herald.protocol.Reply;
import herald.proxy.BackendProxy;
import herald.proxy.Caller;
import herald.proxy.ClientPublications;
import herald.security.Credentials;
import herald.security.TokenVerifier;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Mono;
import tools.jackson.databind.json.JsonMapper;

/**
 * Carries out one connection's commands, in order, and queues exactly one reply for each. Failures
 * become error replies here; a failing command never ends the connection.
 */
final class CommandDispatcher {

  private static final Logger log = LoggerFactory.getLogger(CommandDispatcher.class);

  private final ClientSession client;
  private final WebSocketConnection connection;
  private final ClientSessions sessions;
  private final TokenVerifier tokens;
  private final JsonMapper json;
  private final LimitProperties limits;
  private final Clock clock;
  private final HeraldMetrics metrics;
  private final ClientPublications publications;
  private final BackendProxy backend;
  private final BackendCallLane backendCalls;
  private volatile boolean connected;
  // Completes once the last history or presence reply reached the socket; only the dispatching
  // chain (one command at a time) reads and writes it.
  private Mono<Void> largeReplyWritten = Mono.empty();
  private boolean connectFrameSeen;
  // The channels claim of a token given at the handshake, subscribed before any command runs;
  // null without one, so that other connections' commands take no extra step.
  private final @Nullable Mono<Void> claimedAtHandshake;

  CommandDispatcher(
      ClientSession client,
      WebSocketConnection connection,
      ClientSessions sessions,
      TokenVerifier tokens,
      JsonMapper json,
      LimitProperties limits,
      Clock clock,
      HeraldMetrics metrics,
      boolean connected,
      ClientPublications publications,
      BackendProxy backend) {
    this.publications = publications;
    this.backend = backend;
    this.backendCalls = new BackendCallLane(backend.maxInFlightPerConnection());
    this.client = client;
    this.connection = connection;
    this.sessions = sessions;
    this.tokens = tokens;
    this.json = json;
    this.limits = limits;
    this.clock = clock;
    this.metrics = metrics;
    this.connected = connected;
    this.claimedAtHandshake =
        connected && !client.credentials().channels().isEmpty()
            ? ClaimedChannels.subscribe(client, client.credentials()).cache()
            : null;
  }

  /**
   * Subscribes the channels claimed by the handshake's token; the transport subscribes to it as the
   * connection starts, and commands wait for it.
   */
  Mono<Void> claimedAtHandshake() {
    return claimedAtHandshake == null ? Mono.empty() : claimedAtHandshake;
  }

  /** Whether the connection is authenticated (by its handshake or a {@code connect} frame). */
  boolean connected() {
    return connected;
  }

  /**
   * Runs the commands that wait for a backend (proxied publishes, {@code rpc}) beside the command
   * chain until {@code ended} completes; part of the connection's chain, like the inbound frames.
   */
  Mono<Void> backendCalls(Mono<Void> ended) {
    return backendCalls.run(ended);
  }

  /** Runs {@code command} and queues its reply. Never fails. */
  Mono<Void> dispatch(Command command) {
    Mono<Void> routed = Mono.defer(() -> route(command));
    return (claimedAtHandshake == null ? routed : claimedAtHandshake.then(routed))
        .onErrorResume(error -> replyError(command.id(), error));
  }

  private Mono<Void> route(Command command) {
    if (command instanceof Command.Invalid invalid) {
      return reply(Reply.error(invalid.id(), invalid.code(), invalid.message()));
    }
    if (command instanceof Command.Connect connect) {
      return connect(connect);
    }
    if (!connected) {
      throw HeraldException.unauthorized("send connect first");
    }
    if (command instanceof Command.Subscribe subscribe) {
      return subscribe(subscribe);
    }
    if (command instanceof Command.Unsubscribe unsubscribe) {
      return client.unsubscribe(unsubscribe.channel()).then(reply(ok(command, new Reply.Empty())));
    }
    if (command instanceof Command.Publish publish) {
      return publish(publish);
    }
    if (command instanceof Command.History history) {
      return afterPreviousLargeReply(Mono.defer(() -> history(history)));
    }
    if (command instanceof Command.Presence presence) {
      return afterPreviousLargeReply(
          client
              .presence(
                  presence.channel(),
                  PresenceQuery.requested(presence.cursor(), presence.limit(), limits))
              .map(page -> ok(command, new Reply.PresenceResult(page.clients(), page.cursor()))));
    }
    if (command instanceof Command.Refresh refresh) {
      return refresh(refresh);
    }
    if (command instanceof Command.Ping) {
      return reply(ok(command, new Reply.Empty()));
    }
    if (command instanceof Command.Rpc rpc) {
      Mono<Reply> called =
          backend
              .rpc(rpc.method(), rpc.data(), new Caller(client.credentials().user(), client.id()))
              .map(result -> ok(rpc, new Reply.RpcResult(result)));
      // Without an rpc endpoint the 404 is immediate: nothing to wait for beside the commands.
      return backend.rpcEnabled() ? besideCommands(rpc, called) : called.flatMap(this::reply);
    }
    throw new IllegalStateException("unhandled command " + command.getClass().getSimpleName());
  }

  private Mono<Void> connect(Command.Connect connect) {
    if (connectFrameSeen) {
      throw HeraldException.badRequest("already connected");
    }
    connectFrameSeen = true;
    return credentialsFor(connect.token())
        .flatMap(credentials -> replaceCredentials(credentials).thenReturn(credentials))
        .doOnNext(credentials -> connected = true)
        .flatMap(
            credentials ->
                reply(
                        ok(
                            connect,
                            new Reply.Connected(
                                client.id(), sessions.nodeName(), ttl(credentials))))
                    .then(ClaimedChannels.subscribe(client, credentials)))
        .onErrorResume(HeraldException.class, error -> refuseConnect(connect.id(), error));
  }

  private Mono<Credentials> credentialsFor(@Nullable String token) {
    if (token != null) {
      return tokens.verify(token);
    }
    if (connected) {
      return Mono.just(client.credentials());
    }
    // 401 (and close 4001) when no namespace admits connections without a token.
    return Mono.fromCallable(sessions::withoutToken);
  }

  private Mono<Void> refuseConnect(long id, HeraldException error) {
    Mono<Void> replied = reply(Reply.error(id, error.code(), error.getMessage()));
    if (error.code() == ErrorCode.UNAUTHORIZED && !connected) {
      return replied.then(
          Mono.fromRunnable(() -> connection.disconnect(CloseCode.UNAUTHORIZED, "invalid token")));
    }
    return replied;
  }

  private Mono<Void> subscribe(Command.Subscribe subscribe) {
    return client.subscribe(
        subscribe.channel(),
        subscribe.since(),
        recovery ->
            connection.reply(
                ok(
                    subscribe,
                    new Reply.Subscribed(
                        recovery.latest().epoch(),
                        recovery.latest().offset(),
                        recovery.recovered()))));
  }

  private Mono<Void> publish(Command.Publish publish) {
    long maxMessageSize = limits.maxMessageSize().toBytes();
    if (json.writeValueAsBytes(publish.data()).length > maxMessageSize) {
      throw HeraldException.tooLarge("data is larger than " + maxMessageSize + " bytes");
    }
    Mono<Reply> published =
        publications
            .admit(client.credentials(), client.id(), publish.channel(), publish.data())
            .flatMap(data -> client.publish(publish.channel(), data))
            .doOnNext(publication -> metrics.published(HeraldMetrics.Source.CLIENT, 1))
            .map(publication -> ok(publish, new Reply.Published(publication.offset())));
    return publications.proxied(publish.channel())
        ? besideCommands(publish, published)
        : published.flatMap(this::reply);
  }

  /**
   * Runs a command that waits for a backend beside the command chain ({@link BackendCallLane}), so
   * the next commands go on meanwhile; its reply, or error reply, is queued when it ends. Past the
   * connection's limit of such calls it is refused with 429 at once.
   */
  private Mono<Void> besideCommands(Command command, Mono<Reply> call) {
    Mono<Reply> answered = call.onErrorResume(error -> Mono.just(errorReply(command.id(), error)));
    if (!backendCalls.start(answered, connection::reply)) {
      throw new HeraldException(
          ErrorCode.RATE_LIMITED,
          "too many calls waiting for the backend on this connection (at most "
              + backend.maxInFlightPerConnection()
              + "); send the next one after this one's reply");
    }
    return Mono.empty();
  }

  /**
   * Runs a read whose reply may be large ({@code history}, {@code presence}) once the previous such
   * reply has reached the socket. A client that asks again and again without reading therefore
   * holds one such reply in its queue, not one per request: its later frames wait, unread, in its
   * own TCP buffers. A client that reads sees no difference.
   */
  private Mono<Void> afterPreviousLargeReply(Mono<Reply> read) {
    Mono<Void> previous = largeReplyWritten;
    return previous.then(read).flatMap(this::replyLarge);
  }

  private Mono<Void> replyLarge(Reply reply) {
    largeReplyWritten = connection.replyWritten(reply);
    return Mono.empty();
  }

  private Mono<Reply> history(Command.History history) {
    HistoryQuery query = HistoryQuery.requested(history.since(), history.limit(), limits);
    return client.history(history.channel(), query).map(page -> ok(history, historyResult(page)));
  }

  private static Reply.HistoryResult historyResult(HistoryPage page) {
    return new Reply.HistoryResult(
        page.publications(), page.latest().offset(), page.latest().epoch(), page.recovered());
  }

  private Mono<Void> refresh(Command.Refresh refresh) {
    return tokens
        .verify(refresh.token())
        .flatMap(credentials -> replaceCredentials(credentials).thenReturn(credentials))
        .flatMap(credentials -> reply(ok(refresh, new Reply.Refreshed(ttl(credentials)))));
  }

  /**
   * Gives the connection {@code credentials} ({@code connect} or {@code refresh}), then revokes the
   * channels they no longer permit. A connection without a user yet (tokenless, or the
   * development-mode stand-in) that becomes a user's is admitted by {@link ClientSessions#admit},
   * which may refuse (429) and then leaves it as it was; a user's own refresh keeps its user.
   */
  private Mono<Void> replaceCredentials(Credentials credentials) {
    Mono<Void> replaced =
        client.credentials().provisional()
            ? sessions.admit(client, credentials)
            : Mono.fromRunnable(() -> client.credentials(credentials));
    return replaced.then(client.revokeNoLongerPermitted());
  }

  private @Nullable Long ttl(Credentials credentials) {
    Instant expiresAt = credentials.expiresAt();
    if (expiresAt == null) {
      return null;
    }
    Duration left = Duration.between(clock.instant(), expiresAt);
    return Math.max(0, (left.toMillis() + 999) / 1000);
  }

  private static Reply ok(Command command, Reply.Result result) {
    return Reply.ok(command.id(), result);
  }

  private Mono<Void> reply(Reply reply) {
    return Mono.fromRunnable(() -> connection.reply(reply));
  }

  private Mono<Void> replyError(long id, Throwable error) {
    return Mono.fromRunnable(() -> connection.reply(errorReply(id, error)));
  }

  private Reply errorReply(long id, Throwable error) {
    if (error instanceof HeraldException herald) {
      return Reply.error(id, herald);
    }
    if (error instanceof IllegalArgumentException) {
      return Reply.error(id, ErrorCode.BAD_REQUEST, "bad request");
    }
    ConnectionLog.about(log.atError(), client)
        .setCause(error)
        .log("client={} user={} command failed");
    return Reply.error(id, ErrorCode.INTERNAL, "internal error");
  }
}
