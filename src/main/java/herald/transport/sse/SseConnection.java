package herald.transport.sse;

import herald.channel.ChannelName;
import herald.channel.ClientInfo;
import herald.channel.Publication;
import herald.connection.Connection;
import herald.connection.OutboundQueue;
import herald.protocol.CloseCode;
import herald.registry.Recovery;
import java.util.concurrent.atomic.AtomicBoolean;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;

/**
 * The SSE side of one stream: queues events for the writer. SSE has no frame for join, leave or
 * revocation, so those are not sent; a revoked channel simply stops delivering.
 */
final class SseConnection implements Connection {

  private final OutboundQueue<SseEvent> queue;
  private final AtomicBoolean ending = new AtomicBoolean();
  private final Sinks.Empty<Void> ended = Sinks.empty();
  private final Sinks.Empty<Void> aborted = Sinks.empty();
  private volatile boolean abortedFlag;

  SseConnection(int queueCapacity) {
    this.queue = new OutboundQueue<>(queueCapacity);
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

  @Override
  public void deliver(Publication publication) {
    send(new SseEvent.Message(publication));
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
    if (!ending.compareAndSet(false, true)) {
      return;
    }
    if (code == CloseCode.SLOW_CONSUMER) {
      // Drop what it could not read; the handler then tells it, after what its socket holds.
      abortedFlag = true;
      aborted.tryEmitEmpty();
    } else {
      queue.offerFinal(new SseEvent.Disconnect(code, reason));
    }
    queue.complete();
    ended.tryEmitEmpty();
  }

  /** The client went away. */
  void terminate() {
    ending.set(true);
    queue.complete();
    ended.tryEmitEmpty();
  }

  Mono<Void> ended() {
    return ended.asMono();
  }

  /** Completes when the connection is cut as a slow consumer: its backlog is to be dropped. */
  Mono<Void> aborted() {
    return aborted.asMono();
  }

  /** Whether the connection was cut as a slow consumer. */
  boolean isAborted() {
    return abortedFlag;
  }
}
