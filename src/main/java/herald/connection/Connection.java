package herald.connection;

import herald.channel.ChannelName;
import herald.channel.ClientInfo;
import herald.channel.Publication;
import herald.channel.StreamPosition;
import herald.protocol.CloseCode;

/**
 * What a transport does with the events of one connection. Implementations queue to a bounded
 * outbound queue of the connection (SSE: an {@link OutboundQueue}; WebSocket: a queue drained
 * straight into its Netty channel); they are called from any thread and must not block.
 */
public interface Connection {

  void deliver(Publication publication);

  /** {@link #deliver}s a publication replayed from history, which is not timed as delivery lag. */
  default void replay(Publication publication) {
    deliver(publication);
  }

  void joined(ChannelName channel, ClientInfo client);

  void left(ChannelName channel, ClientInfo client);

  /**
   * The subscription to {@code channel} lost its position: publications before {@code position}
   * will not arrive; the next one follows {@code position}. The client must be told.
   */
  void reset(ChannelName channel, StreamPosition position);

  /**
   * The server subscribed the connection to {@code channel} (backend API or the token's {@code
   * channels} claim), which is now at {@code position}; called before any publication of it.
   * Transports without server-side subscriptions (SSE, whose channels are its request's) never get
   * it.
   */
  default void subscribedByServer(ChannelName channel, StreamPosition position) {}

  /** Whether the server may subscribe this connection to channels (WebSocket: yes; SSE: no). */
  default boolean acceptsServerSubscriptions() {
    return false;
  }

  /** The server removed the subscription to {@code channel} (backend API or permission change). */
  void revoked(ChannelName channel, String reason);

  /** Tells the client why, then ends the connection. Idempotent. */
  void disconnect(CloseCode code, String reason);
}
