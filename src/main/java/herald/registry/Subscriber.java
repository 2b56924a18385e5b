package herald.registry;

import herald.channel.ChannelName;
import herald.channel.ClientInfo;
import herald.channel.Publication;
import herald.channel.StreamPosition;

/**
 * Where the registry delivers a subscription's messages: normally a connection's outbound queue.
 *
 * <p>Called on engine threads, possibly from several channels at once; implementations must be
 * thread-safe and must not block. For one subscription, calls are serialised and publications come
 * in offset order without gap or duplicate.
 */
public interface Subscriber {

  void onPublication(Publication publication);

  /**
   * A publication read back from history while the subscription recovers, in order with the live
   * ones; delivered like any other, but it was not published just now (its delivery lag is not
   * timed).
   */
  default void onReplay(Publication publication) {
    onPublication(publication);
  }

  void onJoin(ChannelName channel, ClientInfo client);

  void onLeave(ChannelName channel, ClientInfo client);

  /**
   * The subscription lost its position on {@code channel}: what came before {@code position} cannot
   * be delivered any more. Publications continue after {@code position}, with no gap from there;
   * the client must be told (SSE {@code reset}, WebSocket {@code reset} push).
   */
  void onReset(ChannelName channel, StreamPosition position);

  /**
   * The subscription buffered more publications during recovery than the subscriber may queue. The
   * subscriber is too slow and should be disconnected; no further publications follow.
   */
  void onOverflow(ChannelName channel);
}
