package herald.transport.sse;

import herald.channel.ChannelName;
import herald.channel.Publication;
import herald.channel.StreamPosition;
import herald.protocol.CloseCode;

/** What an SSE stream's queue holds; each renders to zero or one event block. */
sealed interface SseEvent {

  /**
   * A publication: {@code event: message}. {@code live} is false for one replayed from history,
   * whose delivery lag is not timed.
   */
  record Message(Publication publication, boolean live) implements SseEvent {}

  /** A channel's starting position; renders nothing, but later ids include it. */
  record Positioned(ChannelName channel, StreamPosition position) implements SseEvent {}

  /**
   * A channel's position was lost, at subscribe (the requested one could not be recovered) or later
   * (the engine lost it): {@code event: reset}.
   */
  record Reset(ChannelName channel) implements SseEvent {}

  /** A heartbeat: the comment {@code : ping}. */
  enum Ping implements SseEvent {
    INSTANCE
  }

  /** Every channel is positioned: an id-only block, so that the client's Last-Event-ID is set. */
  record Checkpoint() implements SseEvent {}

  /** {@code event: disconnect}, just before the stream ends. */
  record Disconnect(CloseCode code, String reason) implements SseEvent {}
}
