package herald.support;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PongWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketClientHandshakeException;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.util.ReferenceCountUtil;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedTransferQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import org.jspecify.annotations.Nullable;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.netty.http.client.HttpClient;
import reactor.netty.http.client.WebsocketClientSpec;
import reactor.netty.http.websocket.WebsocketInbound;
import reactor.netty.http.websocket.WebsocketOutbound;
import tools.jackson.core.StreamReadConstraints;
import tools.jackson.core.json.JsonFactory;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * A real WebSocket client for integration tests, on Reactor Netty's client, connected to {@code
 * ws://127.0.0.1:<port>/ws}.
 *
 * <p>Received text frames are parsed as JSON and kept in arrival order. The test thread takes them
 * with {@link #next()}, {@link #reply(long)}, {@link #push(String)} or {@link #framesBefore(long)};
 * frames skipped while looking for one are kept for later calls, so nothing is lost. Every wait has
 * a timeout and fails the test with what was received instead.
 *
 * <p>Callbacks on Netty's event loop only hand frames over (lock-free queue, futures); all waiting
 * and parsing happens on the test thread, so BlockHound stays quiet.
 */
public final class TestWebSocketClient implements AutoCloseable {

  /** How long every wait lasts unless told otherwise. */
  public static final Duration TIMEOUT = Duration.ofSeconds(5);

  /** How long a wait goes on once the connection is gone, for frames still being handed over. */
  private static final Duration AFTER_CLOSE = Duration.ofMillis(250);

  private static final Duration SLICE = Duration.ofMillis(50);
  private static final int MAX_INBOUND_FRAME = 1024 * 1024;

  /**
   * Reads whatever the node may send, however deeply nested (the limits apply to inbound frames
   * only).
   */
  private static final JsonMapper JSON =
      JsonMapper.builder(
              JsonFactory.builder()
                  .streamReadConstraints(
                      StreamReadConstraints.builder().maxNestingDepth(10_000).build())
                  .build())
          .build();

  private final BlockingQueue<String> texts = new LinkedTransferQueue<>();
  private final ArrayDeque<JsonNode> backlog = new ArrayDeque<>();
  private final Sinks.Many<WebSocketFrame> outbound = Sinks.many().unicast().onBackpressureBuffer();
  private final CompletableFuture<Integer> handshake = new CompletableFuture<>();
  private final CompletableFuture<@Nullable WebSocketCloseStatus> closeStatus =
      new CompletableFuture<>();
  private final CompletableFuture<Void> terminated = new CompletableFuture<>();
  private final CompletableFuture<HttpHeaders> requestHeaders = new CompletableFuture<>();
  private final AtomicInteger binaryFrames = new AtomicInteger();
  private final BlockingQueue<byte[]> binaries = new LinkedTransferQueue<>();
  private final AtomicInteger pings = new AtomicInteger();
  private final boolean answerPings;
  private volatile @Nullable WebsocketOutbound out;
  private volatile @Nullable String subprotocol;
  private final boolean translate;
  private final Disposable connection;

  private TestWebSocketClient(Builder builder) {
    this.answerPings = builder.answerPings;
    this.translate = builder.translate;
    this.connection = start(builder);
  }

  /** Starts building a client for the node listening on {@code port}. */
  public static Builder to(int port) {
    return new Builder(port);
  }

  private Disposable start(Builder builder) {
    WebsocketClientSpec.Builder spec =
        WebsocketClientSpec.builder()
            .maxFramePayloadLength(MAX_INBOUND_FRAME)
            // Pings reach this client, so it can count them and choose whether to answer.
            .handlePing(true);
    if (builder.subprotocol != null) {
      spec.protocols(builder.subprotocol);
    }
    return HttpClient.newConnection()
        .headers(
            headers -> {
              if (builder.bearer != null) {
                headers.set(HttpHeaderNames.AUTHORIZATION, "Bearer " + builder.bearer);
              }
              builder.headers.forEach(headers::set);
            })
        .doOnConnected(
            connection ->
                connection.addHandlerLast(
                    "herald-test-handshake", new HandshakeRequestHandler(builder.origin)))
        .websocket(spec.build())
        .uri(builder.uri())
        .handle(this::session)
        .subscribe(
            ignored -> {},
            error -> {
              handshake.complete(statusOf(error));
              terminated.complete(null);
              closeStatus.complete(null);
            },
            () -> terminated.complete(null));
  }

  private Mono<Void> session(WebsocketInbound in, WebsocketOutbound out) {
    this.out = out;
    this.subprotocol = in.selectedSubprotocol();
    in.withConnection(connection -> connection.onDispose(() -> terminated.complete(null)));
    in.receiveCloseStatus()
        .subscribe(
            closeStatus::complete,
            closeStatus::completeExceptionally,
            () -> closeStatus.complete(null));
    handshake.complete(101);
    Mono<Void> reading =
        in.aggregateFrames(MAX_INBOUND_FRAME).receiveFrames().doOnNext(this::received).then();
    Mono<Void> writing = out.sendObject(outbound.asFlux()).then();
    return Flux.merge(reading, writing).then();
  }

  /** Runs on the event loop: hands the frame over without blocking. */
  private void received(WebSocketFrame frame) {
    if (frame instanceof TextWebSocketFrame text) {
      texts.offer(text.text());
    } else if (frame instanceof BinaryWebSocketFrame binary) {
      binaryFrames.incrementAndGet();
      byte[] bytes = new byte[binary.content().readableBytes()];
      binary.content().getBytes(binary.content().readerIndex(), bytes);
      if (translate) {
        texts.offer(MsgpackTranslation.toJson(bytes));
        return;
      }
      binaries.offer(bytes);
    } else if (frame instanceof PingWebSocketFrame ping) {
      pings.incrementAndGet();
      if (answerPings) {
        emit(new PongWebSocketFrame(Unpooled.copiedBuffer(ping.content())));
      }
    }
  }

  private static int statusOf(Throwable error) {
    for (Throwable cause = error; cause != null; cause = cause.getCause()) {
      if (cause instanceof WebSocketClientHandshakeException refused
          && refused.response() != null) {
        return refused.response().status().code();
      }
    }
    return -1;
  }

  // ---------------------------------------------------------------- handshake

  /** Waits for the upgrade to succeed; fails the test if it was refused. */
  public TestWebSocketClient awaitOpen() {
    int status = handshakeStatus();
    if (status != 101) {
      throw new AssertionError("handshake was refused with HTTP status " + status);
    }
    return this;
  }

  /**
   * The HTTP status the handshake ended with: 101 when upgraded, the response status when refused,
   * -1 when it failed without a response.
   */
  public int handshakeStatus() {
    return await(handshake, "the handshake to finish");
  }

  /** The subprotocol the server selected, or {@code null}. */
  public @Nullable String subprotocol() {
    awaitOpen();
    return subprotocol;
  }

  /** The headers of the handshake request as they were written to the socket. */
  public HttpHeaders handshakeRequestHeaders() {
    return await(requestHeaders, "the handshake request to be written");
  }

  // ---------------------------------------------------------------- sending

  /**
   * Sends one request frame written as JSON text: as is on {@code herald.json}, as MessagePack in a
   * binary frame when the client was built with {@link Builder#codec} {@code herald.msgpack}.
   */
  public TestWebSocketClient send(String text) {
    if (translate) {
      return sendBinary(MsgpackTranslation.toMsgpack(text));
    }
    emit(new TextWebSocketFrame(text));
    return this;
  }

  /** Sends one text frame whose payload is {@code rawPayload} as is, valid UTF-8 or not. */
  public TestWebSocketClient sendText(byte[] rawPayload) {
    emit(new TextWebSocketFrame(Unpooled.wrappedBuffer(rawPayload)));
    return this;
  }

  /** Sends one binary frame. */
  public TestWebSocketClient sendBinary(byte[] payload) {
    emit(new BinaryWebSocketFrame(Unpooled.wrappedBuffer(payload)));
    return this;
  }

  /** Sends {@code frame} and waits for the reply to request {@code id}. */
  public JsonNode request(long id, String frame) {
    send(frame);
    return reply(id);
  }

  private void emit(WebSocketFrame frame) {
    Sinks.EmitResult result;
    // The test thread sends frames and the event loop sends pongs; the sink takes one writer at
    // once.
    synchronized (outbound) {
      result = outbound.tryEmitNext(frame);
    }
    if (result.isFailure()) {
      ReferenceCountUtil.release(frame);
    }
  }

  // ---------------------------------------------------------------- receiving

  /** The next frame received, whatever it is. */
  public JsonNode next() {
    return next(TIMEOUT);
  }

  /** The next frame received within {@code timeout}. */
  public JsonNode next(Duration timeout) {
    JsonNode first = backlog.pollFirst();
    return first != null ? first : take(frame -> true, timeout, "any frame");
  }

  /** The reply to request {@code id}; frames received before it stay available. */
  public JsonNode reply(long id) {
    return take(
        frame -> frame.has("id") && frame.get("id").asLong() == id, TIMEOUT, "the reply to " + id);
  }

  /** The next push of {@code type} ({@code message}, {@code join}, ...). */
  public JsonNode push(String type) {
    return push(type, frame -> true);
  }

  /** The next push of {@code type} that also matches {@code condition}. */
  public JsonNode push(String type, Predicate<JsonNode> condition) {
    return take(
        frame ->
            !frame.has("id") && type.equals(frame.path("type").asString()) && condition.test(frame),
        TIMEOUT,
        "a '" + type + "' push");
  }

  /**
   * Every frame received before the reply to {@code id}, in order; the reply itself is consumed.
   * With a {@code ping} as sentinel this proves what did, and did not, arrive before it.
   */
  public List<JsonNode> framesBefore(long id) {
    List<JsonNode> frames = new ArrayList<>();
    long deadline = System.nanoTime() + TIMEOUT.toNanos();
    while (true) {
      JsonNode frame = backlog.pollFirst();
      if (frame == null) {
        frame = poll(deadline);
        if (frame == null) {
          throw new AssertionError("no reply to " + id + " within " + TIMEOUT + "; got " + frames);
        }
      }
      if (frame.has("id") && frame.get("id").asLong() == id) {
        return frames;
      }
      frames.add(frame);
    }
  }

  private JsonNode take(Predicate<JsonNode> wanted, Duration timeout, String description) {
    for (Iterator<JsonNode> it = backlog.iterator(); it.hasNext(); ) {
      JsonNode frame = it.next();
      if (wanted.test(frame)) {
        it.remove();
        return frame;
      }
    }
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      JsonNode frame = poll(deadline);
      if (frame == null) {
        throw new AssertionError(
            "expected "
                + description
                + " within "
                + timeout
                + " but got only "
                + backlog
                + (terminated.isDone()
                    ? " (connection closed: " + closeStatus.getNow(null) + ")"
                    : ""));
      }
      if (wanted.test(frame)) {
        return frame;
      }
      backlog.addLast(frame);
    }
  }

  /**
   * The next frame, or {@code null} at the deadline. Once the connection is gone no frame can come,
   * so it gives up {@link #AFTER_CLOSE} later instead of waiting out the deadline: a failing test
   * fails fast.
   */
  private @Nullable JsonNode poll(long deadlineNanos) {
    long closedDeadline = Long.MAX_VALUE;
    try {
      while (true) {
        long now = System.nanoTime();
        if (terminated.isDone() && closedDeadline == Long.MAX_VALUE) {
          closedDeadline = now + AFTER_CLOSE.toNanos();
        }
        long left = Math.min(deadlineNanos, closedDeadline) - now;
        if (left <= 0) {
          return null;
        }
        String text = texts.poll(Math.min(left, SLICE.toNanos()), TimeUnit.NANOSECONDS);
        if (text != null) {
          return JSON.readTree(text);
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    }
  }

  /** The next binary frame's payload, waiting up to {@link #TIMEOUT}. */
  public byte[] nextBinary() {
    try {
      byte[] payload = binaries.poll(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
      if (payload == null) {
        throw new AssertionError("no binary frame within " + TIMEOUT);
      }
      return payload;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    }
  }

  /** How many binary frames arrived. */
  public int binaryFrames() {
    return binaryFrames.get();
  }

  /** How many pings the server sent. */
  public int pings() {
    return pings.get();
  }

  // ---------------------------------------------------------------- closing

  /** The close status the server sent; fails the test if the connection ended without one. */
  public WebSocketCloseStatus closeStatus() {
    WebSocketCloseStatus status = await(closeStatus, "a close frame");
    if (status == null) {
      throw new AssertionError("the connection ended without a close frame");
    }
    return status;
  }

  /** Waits until the TCP connection is gone. */
  public void awaitTerminated() {
    await(terminated, "the connection to end");
  }

  /** Whether the connection is still up. */
  public boolean isOpen() {
    return handshake.isDone() && handshake.getNow(-1) == 101 && !terminated.isDone();
  }

  /** Drops the TCP connection without a close frame, as a crashed client would. */
  public void abort() {
    connection.dispose();
    await(terminated, "the connection to end");
  }

  /** Closes with 1000 and waits until the connection is gone. */
  @Override
  public void close() {
    WebsocketOutbound current = out;
    if (current != null && !terminated.isDone()) {
      current.sendClose(1000, "bye").subscribe(done -> {}, error -> connection.dispose());
      try {
        terminated.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
      } catch (ExecutionException | TimeoutException e) {
        // A close that does not finish in time still must not leak the socket.
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    connection.dispose();
  }

  private static <T> T await(CompletableFuture<T> future, String what) {
    try {
      return future.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      throw new AssertionError("timed out after " + TIMEOUT + " waiting for " + what);
    } catch (ExecutionException e) {
      throw new AssertionError("failed waiting for " + what, e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted waiting for " + what, e);
    }
  }

  /**
   * Sets or removes {@code Origin} on the handshake request (Netty adds one by default, unlike
   * non-browser clients) and records the headers as sent.
   */
  private final class HandshakeRequestHandler extends ChannelOutboundHandlerAdapter {

    private final @Nullable String origin;

    HandshakeRequestHandler(@Nullable String origin) {
      this.origin = origin;
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise)
        throws Exception {
      if (msg instanceof HttpRequest request) {
        if (origin == null) {
          request.headers().remove(HttpHeaderNames.ORIGIN);
        } else {
          request.headers().set(HttpHeaderNames.ORIGIN, origin);
        }
        requestHeaders.complete(new DefaultHttpHeaders().add(request.headers()));
      }
      super.write(ctx, msg, promise);
    }
  }

  /** How to connect: subprotocol, token, origin. */
  public static final class Builder {

    private final int port;
    private @Nullable String subprotocol;
    private boolean translate;
    private @Nullable String origin;
    private @Nullable String queryToken;
    private @Nullable String bearer;
    private boolean answerPings = true;
    private final Map<String, String> headers = new LinkedHashMap<>();

    private Builder(int port) {
      this.port = port;
    }

    /**
     * Speaks {@code subprotocol} while the test writes and reads JSON: on {@code herald.msgpack}
     * the frames the test sends are turned into MessagePack and the node's into JSON.
     */
    public Builder codec(String subprotocol) {
      this.translate = subprotocol.equals("herald.msgpack");
      return subprotocol(subprotocol);
    }

    /** Asks for {@code subprotocol} ({@code herald.json}). */
    public Builder subprotocol(String subprotocol) {
      this.subprotocol = subprotocol;
      return this;
    }

    /** Sends {@code Origin: origin}; without it the handshake carries no Origin header. */
    public Builder origin(String origin) {
      this.origin = origin;
      return this;
    }

    /** Passes the token as {@code ?token=}. */
    public Builder token(String token) {
      this.queryToken = token;
      return this;
    }

    /** Passes the token as {@code Authorization: Bearer}. */
    public Builder bearer(String token) {
      this.bearer = token;
      return this;
    }

    /** Sends header {@code name} with the handshake ({@code X-Forwarded-For}, ...). */
    public Builder header(String name, String value) {
      this.headers.put(name, value);
      return this;
    }

    /** Leaves the server's pings unanswered, as a dead peer would. */
    public Builder ignorePings() {
      this.answerPings = false;
      return this;
    }

    String uri() {
      String base = "ws://127.0.0.1:" + port + "/ws";
      return queryToken == null
          ? base
          : base + "?token=" + URLEncoder.encode(queryToken, StandardCharsets.UTF_8);
    }

    /** Starts the handshake without waiting for it. */
    public TestWebSocketClient connect() {
      return new TestWebSocketClient(this);
    }

    /** Connects and waits for the upgrade; fails the test if it was refused. */
    public TestWebSocketClient open() {
      TestWebSocketClient client = connect();
      try {
        return client.awaitOpen();
      } catch (AssertionError e) {
        client.close();
        throw e;
      }
    }

    /** Connects, expecting the upgrade to be refused; returns the HTTP status of the refusal. */
    public int refusedStatus() {
      try (TestWebSocketClient client = connect()) {
        int status = client.handshakeStatus();
        if (status == 101) {
          throw new AssertionError("expected the handshake to be refused, but it was upgraded");
        }
        return status;
      }
    }
  }
}
