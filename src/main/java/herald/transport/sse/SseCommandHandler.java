package herald.transport.sse;

import herald.config.LimitProperties;
import herald.engine.Engine;
import herald.engine.HistoryPage;
import herald.engine.HistoryQuery;
import herald.engine.PresenceQuery;
import herald.observability.HeraldMetrics;
import herald.protocol.Command;
import herald.protocol.HeraldException;
import herald.protocol.JsonFrameCodec;
import herald.protocol.Reply;
import herald.proxy.BackendProxy;
import herald.proxy.Caller;
import herald.proxy.ClientPublications;
import herald.ratelimit.RateLimits;
import herald.security.BearerTokens;
import herald.security.ChannelPermissions;
import herald.security.Credentials;
import herald.security.TokenVerifier;
import herald.web.ClientAddress;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DataBufferLimitException;
import org.springframework.core.io.buffer.DataBufferUtils;
import org.springframework.http.MediaType;
import org.springframework.web.reactive.function.BodyExtractors;
import org.springframework.web.reactive.function.server.ServerRequest;
import org.springframework.web.reactive.function.server.ServerResponse;
import reactor.core.publisher.Mono;
import tools.jackson.databind.json.JsonMapper;

/**
 * {@code POST /sse/commands}: the way up for clients that read their channels over SSE because
 * WebSocket cannot connect (the browser client's fallback, README "Client").
 *
 * <p>One request frame of the WebSocket protocol in ({@code publish}, {@code history}, {@code
 * presence}, {@code rpc}, {@code ping}), its reply out, with the permissions of the request's
 * token. Nothing is kept between requests, so any node answers and no sticky session is needed.
 * What changes a connection's channels ({@code subscribe}, {@code unsubscribe}) is not here: the
 * client reopens its stream with the new channel list and its cursor, which resumes every channel
 * where it was.
 */
final class SseCommandHandler {

  /** Room for a request's own fields around the largest {@code data} a client may publish. */
  private static final int FRAME_OVERHEAD = 4096;

  private final JsonFrameCodec codec;
  private final TokenVerifier tokens;
  private final ChannelPermissions permissions;
  private final Engine engine;
  private final RateLimits rateLimits;
  private final ClientAddress addresses;
  private final JsonMapper json;
  private final LimitProperties limits;
  private final long maxMessageSize;
  private final HeraldMetrics metrics;
  private final ClientPublications publications;
  private final BackendProxy backend;

  SseCommandHandler(
      JsonFrameCodec codec,
      TokenVerifier tokens,
      ChannelPermissions permissions,
      Engine engine,
      RateLimits rateLimits,
      ClientAddress addresses,
      JsonMapper json,
      LimitProperties limits,
      HeraldMetrics metrics,
      ClientPublications publications,
      BackendProxy backend) {
    this.codec = codec;
    this.tokens = tokens;
    this.permissions = permissions;
    this.engine = engine;
    this.rateLimits = rateLimits;
    this.addresses = addresses;
    this.json = json;
    this.limits = limits;
    this.maxMessageSize = limits.maxMessageSize().toBytes();
    this.metrics = metrics;
    this.publications = publications;
    this.backend = backend;
  }

  Mono<ServerResponse> command(ServerRequest request) {
    return credentials(request)
        .flatMap(
            credentials -> {
              rateLimits.acquireCommand(
                  credentials.provisional()
                      ? "ip:" + addresses.of(request.exchange().getRequest())
                      : "user:" + credentials.user());
              return frame(request).flatMap(bytes -> run(credentials, codec.decode(bytes)));
            })
        .flatMap(
            reply ->
                ServerResponse.ok()
                    .contentType(MediaType.APPLICATION_JSON)
                    .header("Cache-Control", "no-store")
                    .bodyValue(codec.encode(reply)));
  }

  /** The token's credentials, or those of a client without one (as for {@code GET /sse}). */
  private Mono<Credentials> credentials(ServerRequest request) {
    String token = BearerTokens.of(request.exchange().getRequest());
    if (token != null) {
      return tokens.verify(token);
    }
    return Mono.fromCallable(permissions::withoutToken);
  }

  /** The request body, refused with 413 past the size of the largest allowed frame. */
  private Mono<byte[]> frame(ServerRequest request) {
    int max = (int) Math.min(Integer.MAX_VALUE - FRAME_OVERHEAD, maxMessageSize) + FRAME_OVERHEAD;
    return DataBufferUtils.join(request.body(BodyExtractors.toDataBuffers()), max)
        .onErrorMap(
            DataBufferLimitException.class,
            e -> HeraldException.tooLarge("request is larger than " + max + " bytes"))
        .map(SseCommandHandler::bytes)
        .switchIfEmpty(Mono.error(HeraldException.badRequest("send one command as JSON")));
  }

  private static byte[] bytes(DataBuffer buffer) {
    try {
      byte[] bytes = new byte[buffer.readableByteCount()];
      buffer.read(bytes);
      return bytes;
    } finally {
      DataBufferUtils.release(buffer);
    }
  }

  private Mono<Reply> run(Credentials credentials, Command command) {
    if (command instanceof Command.Invalid invalid) {
      return Mono.error(new HeraldException(invalid.code(), invalid.message()));
    }
    if (command instanceof Command.Publish publish) {
      return publish(credentials, publish);
    }
    if (command instanceof Command.History history) {
      permissions.checkSubscribe(credentials, history.channel());
      return engine
          .history(
              history.channel(), HistoryQuery.requested(history.since(), history.limit(), limits))
          .map(page -> Reply.ok(history.id(), historyResult(page)));
    }
    if (command instanceof Command.Presence presence) {
      permissions.checkSubscribe(credentials, presence.channel());
      return engine
          .presence(
              presence.channel(),
              PresenceQuery.requested(presence.cursor(), presence.limit(), limits))
          .map(
              page ->
                  Reply.ok(presence.id(), new Reply.PresenceResult(page.clients(), page.cursor())));
    }
    if (command instanceof Command.Ping ping) {
      return Mono.just(Reply.ok(ping.id(), new Reply.Empty()));
    }
    if (command instanceof Command.Rpc rpc) {
      // No connection, so no client id: the backend sees "client": null.
      return backend
          .rpc(rpc.method(), rpc.data(), new Caller(credentials.user(), null))
          .map(result -> Reply.ok(rpc.id(), new Reply.RpcResult(result)));
    }
    return Mono.error(
        HeraldException.badRequest(
            "this op is not sent over HTTP: the SSE stream's channel parameters subscribe, and"
                + " its token authenticates"));
  }

  private Mono<Reply> publish(Credentials credentials, Command.Publish publish) {
    if (json.writeValueAsBytes(publish.data()).length > maxMessageSize) {
      throw HeraldException.tooLarge("data is larger than " + maxMessageSize + " bytes");
    }
    return publications
        .admit(credentials, null, publish.channel(), publish.data())
        .flatMap(data -> engine.publish(publish.channel(), data, credentials.user()))
        .doOnNext(publication -> metrics.published(HeraldMetrics.Source.CLIENT, 1))
        .map(publication -> Reply.ok(publish.id(), new Reply.Published(publication.offset())));
  }

  private static Reply.HistoryResult historyResult(HistoryPage page) {
    return new Reply.HistoryResult(
        page.publications(), page.latest().offset(), page.latest().epoch(), page.recovered());
  }
}
