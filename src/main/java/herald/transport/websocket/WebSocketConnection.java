package herald.transport.websocket;

import herald.channel.ChannelName;
import herald.channel.ClientInfo;
import herald.channel.Publication;
import herald.channel.StreamPosition;
import herald.connection.Connection;
import herald.observability.TransportMetrics;
import herald.protocol.CloseCode;
import herald.protocol.ErrorCode;
import herald.protocol.Push;
import herald.protocol.Reply;
import herald.protocol.ServerFrame;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.web.reactive.socket.CloseStatus;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;

/**
 * The WebSocket side of one connection: hands frames to its {@link ChannelWriter} and decides how
 * the connection ends. A full writer (too many frames or too many bytes waiting) means a slow
 * consumer: it is closed with 4008 at once, without writing what it could not read.
 */
final class WebSocketConnection implements Connection {

  private static final Logger log = LoggerFactory.getLogger(WebSocketConnection.class);

  private final ChannelWriter writer;
  private final ClosingHandshake closing;
  private final Liveness liveness;
  private final TransportMetrics metrics;
  private final AtomicReference<@Nullable CloseStatus> closeStatus = new AtomicReference<>();
  // Unserialized sinks (one object less each, per connection): an empty sink's only signal is set
  // atomically, so emitting from two threads at once cannot corrupt it.
  private final Sinks.Empty<Void> ended = Sinks.unsafe().empty();
  private final Sinks.Empty<Void> aborted = Sinks.unsafe().empty();

  WebSocketConnection(
      ChannelWriter writer, ClosingHandshake closing, Liveness liveness, TransportMetrics metrics) {
    this.writer = writer;
    this.closing = closing;
    this.liveness = liveness;
    this.metrics = metrics;
  }

  void reply(Reply reply) {
    send(reply);
  }

  /**
   * Completes once everything queued so far, {@code reply} included, has been handed to the socket,
   * or when the connection ends: what a request that must not pile up replies waits for.
   */
  Mono<Void> replyWritten(Reply reply) {
    send(reply);
    Sinks.Empty<Void> reached = Sinks.empty();
    writer.whenWritten(reached::tryEmitEmpty);
    return Mono.firstWithSignal(reached.asMono(), ended.asMono());
  }

  @Override
  public void deliver(Publication publication) {
    send(new Push.Message(publication));
  }

  @Override
  public void replay(Publication publication) {
    if (closeStatus.get() == null && !writer.offerReplayed(new Push.Message(publication))) {
      disconnect(CloseCode.SLOW_CONSUMER, "slow consumer");
    }
  }

  @Override
  public void reset(ChannelName channel, StreamPosition position) {
    send(new Push.Reset(channel, position));
  }

  @Override
  public void joined(ChannelName channel, ClientInfo client) {
    send(new Push.Join(channel, client));
  }

  @Override
  public void left(ChannelName channel, ClientInfo client) {
    send(new Push.Leave(channel, client));
  }

  @Override
  public boolean acceptsServerSubscriptions() {
    return true;
  }

  @Override
  public void subscribedByServer(ChannelName channel, StreamPosition position) {
    send(new Push.Subscribe(channel, position));
  }

  @Override
  public void revoked(ChannelName channel, String reason) {
    send(new Push.Unsubscribe(channel, reason));
  }

  /**
   * Closes the connection with 1001 when the client stayed silent (no frame, no pong) for {@code
   * timeout}; pings it otherwise, unless the connection is ending.
   */
  void heartbeat(Duration timeout) {
    if (liveness.silentFor().compareTo(timeout) >= 0) {
      disconnect(CloseCode.GOING_AWAY, "ping timeout");
    } else if (closeStatus.get() == null) {
      writer.ping();
    }
  }

  private void send(ServerFrame frame) {
    if (closeStatus.get() == null && !offer(frame)) {
      disconnect(CloseCode.SLOW_CONSUMER, "slow consumer");
    }
  }

  /**
   * Queues {@code frame}; a frame that cannot be encoded (a bug, not the client's doing) is dropped
   * with a log line, or for a reply answered with 500 instead, so the request still gets its one
   * reply and nothing else of the connection or of other connections is affected.
   */
  private boolean offer(ServerFrame frame) {
    try {
      return writer.offer(frame);
    } catch (RuntimeException unencodable) {
      log.error("frame {} could not be encoded", frame.getClass().getSimpleName(), unencodable);
      return !(frame instanceof Reply reply)
          || writer.offer(Reply.error(reply.id(), ErrorCode.INTERNAL, "internal error"));
    }
  }

  @Override
  public void disconnect(CloseCode code, String reason) {
    if (!closeStatus.compareAndSet(null, new CloseStatus(code.code(), reason))) {
      return;
    }
    metrics.disconnected(code);
    if (code == CloseCode.SLOW_CONSUMER) {
      writer.discard();
      aborted.tryEmitEmpty();
    } else {
      // Nothing the client sends from now on is acted upon (RFC 6455 §7.1.1: the server is
      // closing).
      closing.discardInbound();
      writer.finish(new Push.Disconnect(code, reason));
    }
    ended.tryEmitEmpty();
  }

  /** The client went away: stop writing and end timers; no frame to send. */
  void terminate() {
    if (closeStatus.compareAndSet(null, CloseStatus.NORMAL)) {
      metrics.clientClosed();
    }
    writer.discard();
    ended.tryEmitEmpty();
  }

  /**
   * Completes on the channel's event loop once the last frame is written (or the rest dropped): the
   * moment to send the close frame.
   */
  Mono<Void> written() {
    return writer.written();
  }

  /** Whether the connection decided to end: frames still arriving are not acted upon. */
  boolean closing() {
    return closeStatus.get() != null;
  }

  /** The status to close with once the writer finished. */
  CloseStatus closeStatus() {
    CloseStatus status = closeStatus.get();
    return status == null ? CloseStatus.NORMAL : status;
  }

  /** Completes when the connection starts to end, for whatever reason. */
  Mono<Void> ended() {
    return ended.asMono();
  }

  /** Completes when queued frames must be dropped rather than written. */
  Mono<Void> aborted() {
    return aborted.asMono();
  }
}
