package herald.registry;

import herald.channel.ChannelName;
import herald.channel.StreamPosition;

/**
 * The outcome of subscribing, handed to the transport just before the replay is delivered.
 *
 * @param channel the channel subscribed to
 * @param latest the channel's position when the subscription started: its epoch and newest offset
 * @param recovered whether the publications after the requested position are replayed in full;
 *     {@code false} when no position was given or it could not be recovered
 * @param requested whether the subscriber asked to recover from a position
 */
public record Recovery(
    ChannelName channel, StreamPosition latest, boolean recovered, boolean requested) {

  /** Whether the subscriber asked to recover but could not: it must be told (SSE {@code reset}). */
  public boolean lost() {
    return requested && !recovered;
  }
}
