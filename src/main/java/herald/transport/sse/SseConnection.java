package herald.transport.sse;

import herald.channel.ChannelName;
import herald.channel.ClientInfo;
import herald.channel.Publication;
import herald.channel.StreamPosition;
import herald.connection.Connection;
import herald.connection.OutboundQueue;
import herald.observability.TransportMetrics;
import herald.protocol.CloseCode;
import herald.registry.Recovery;
import reactor.core.publisher.Mono;
import tools.jackson.databind.json.JsonMapper;

/**
 * The SSE side of one stream: queues events for the writer. SSE has no frame for join, leave or
 * revocation, so those are not sent; a revoked channel simply stops delivering.
 */
final class SseConnection implements Connection {

  private final OutboundQueue<SseEvent> queue;
  private final TransportMetrics metrics;

  SseConnection(int queueCapacity, long queueBytes, JsonMapper json, TransportMetrics metrics) {
    this.queue =
        new OutboundQueue<>(queueCapacity, queueBytes, event -> SseRenderer.sizeOf(json, event));
    this.metrics = metrics;
  }

  OutboundQueue<SseEvent> queue() {
    return queue;
  }

  /** Records a channel's starting position, and a reset when its requested one was lost. */
  void positioned(Recovery recovery) {
    send(new SseEvent.Positioned(recovery.channel(), recovery.latest()));
    if (recovery.lost()) {
      send(new SseEvent.Reset(recovery.channel()));
    }
  }

  void checkpoint() {
    send(new SseEvent.Checkpoint());
  }

  /**
   * Queues a heartbeat comment, unless events already wait to be written: then the stream is not
   * idle, and a ping would only take a place in a slow reader's queue.
   */
  void ping() {
    if (queue.size() == 0 && !queue.isEnding()) {
      queue.offer(SseEvent.Ping.INSTANCE);
    }
  }

  @Override
  public void deliver(Publication publication) {
    send(new SseEvent.Message(publication, true));
  }

  @Override
  public void replay(Publication publication) {
    send(new SseEvent.Message(publication, false));
  }

  /** {@code event: reset}, with the new position in its id, so that a resume starts from there. */
  @Override
  public void reset(ChannelName channel, StreamPosition position) {
    send(new SseEvent.Positioned(channel, position));
    send(new SseEvent.Reset(channel));
  }

  @Override
  public void joined(ChannelName channel, ClientInfo client) {}

  @Override
  public void left(ChannelName channel, ClientInfo client) {}

  @Override
  public void revoked(ChannelName channel, String reason) {}

  private void send(SseEvent event) {
    if (!queue.offer(event)) {
      disconnect(CloseCode.SLOW_CONSUMER, "slow consumer");
    }
  }

  @Override
  public void disconnect(CloseCode code, String reason) {
    boolean ending;
    if (code == CloseCode.SLOW_CONSUMER) {
      // Drop what it could not read; the handler then tells it, after what its socket holds.
      ending = queue.abort();
    } else {
      ending = queue.finish(new SseEvent.Disconnect(code, reason));
    }
    if (ending) {
      metrics.disconnected(code);
    }
  }

  /** The client went away. */
  void terminate() {
    if (queue.terminate()) {
      metrics.clientClosed();
    }
  }

  /** Counts {@code event} as written once it is rendered for the response. */
  void written(SseEvent event) {
    if (event instanceof SseEvent.Message message) {
      metrics.delivered(
          1, message.live() ? message.publication().ts() : TransportMetrics.NOT_TIMED);
    }
  }

  Mono<Void> ended() {
    return queue.ended();
  }

  /** Completes when the connection is cut as a slow consumer: its backlog is to be dropped. */
  Mono<Void> aborted() {
    return queue.aborted();
  }

  /** Whether the connection was cut as a slow consumer. */
  boolean isAborted() {
    return queue.isAborted();
  }
}
