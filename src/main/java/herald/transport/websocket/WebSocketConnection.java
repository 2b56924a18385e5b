package herald.transport.websocket;

import herald.channel.ChannelName;
import herald.channel.ClientInfo;
import herald.channel.Publication;
import herald.channel.StreamPosition;
import herald.connection.Connection;
import herald.connection.OutboundQueue;
import herald.protocol.CloseCode;
import herald.protocol.Push;
import herald.protocol.Reply;
import herald.protocol.ServerFrame;
import java.util.concurrent.atomic.AtomicReference;
import org.jspecify.annotations.Nullable;
import org.springframework.web.reactive.socket.CloseStatus;
import reactor.core.publisher.Mono;

/**
 * The WebSocket side of one connection: queues frames for the writer and decides how the connection
 * ends. A full queue means a slow consumer: it is closed with 4008 at once, without draining what
 * it could not read.
 */
final class WebSocketConnection implements Connection {

  private final OutboundQueue<ServerFrame> queue;
  private final AtomicReference<@Nullable CloseStatus> closeStatus = new AtomicReference<>();

  WebSocketConnection(int queueCapacity) {
    this.queue = new OutboundQueue<>(queueCapacity);
  }

  OutboundQueue<ServerFrame> queue() {
    return queue;
  }

  void reply(Reply reply) {
    send(reply);
  }

  @Override
  public void deliver(Publication publication) {
    send(new Push.Message(publication));
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
  public void revoked(ChannelName channel, String reason) {
    send(new Push.Unsubscribe(channel, reason));
  }

  private void send(ServerFrame frame) {
    if (!queue.offer(frame) && closeStatus.get() == null) {
      disconnect(CloseCode.SLOW_CONSUMER, "slow consumer");
    }
  }

  @Override
  public void disconnect(CloseCode code, String reason) {
    if (!closeStatus.compareAndSet(null, new CloseStatus(code.code(), reason))) {
      return;
    }
    if (code == CloseCode.SLOW_CONSUMER) {
      queue.abort();
    } else {
      queue.finish(new Push.Disconnect(code, reason));
    }
  }

  /** The client went away: stop writing and end timers; no frame to send. */
  void terminate() {
    closeStatus.compareAndSet(null, CloseStatus.NORMAL);
    queue.terminate();
  }

  /** The status to close with once the writer finished. */
  CloseStatus closeStatus() {
    CloseStatus status = closeStatus.get();
    return status == null ? CloseStatus.NORMAL : status;
  }

  /** Completes when the connection starts to end, for whatever reason. */
  Mono<Void> ended() {
    return queue.ended();
  }

  /** Completes when queued frames must be dropped rather than written. */
  Mono<Void> aborted() {
    return queue.aborted();
  }
}
