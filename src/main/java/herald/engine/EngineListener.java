package herald.engine;

import herald.channel.ChannelName;
import herald.channel.ClientInfo;
import herald.channel.Publication;
import herald.channel.StreamPosition;

/**
 * Receives what the engine delivers to this node, for the channels the node subscribed to.
 *
 * <p>Methods are called on the engine's threads (the publishing thread for the in-memory engine,
 * the Redis I/O thread for the Redis engine) and must not block. For each channel, publications
 * arrive in offset order, one call at a time.
 */
public interface EngineListener {

  /** Drops everything: what an engine delivers to before the registry attaches. */
  EngineListener NONE =
      new EngineListener() {
        @Override
        public void onPublication(Publication publication) {}

        @Override
        public void onJoin(ChannelName channel, ClientInfo client) {}

        @Override
        public void onLeave(ChannelName channel, ClientInfo client) {}

        @Override
        public void onReset(ChannelName channel, StreamPosition position) {}
      };

  void onPublication(Publication publication);

  void onJoin(ChannelName channel, ClientInfo client);

  void onLeave(ChannelName channel, ClientInfo client);

  /**
   * The engine could not deliver {@code channel} without a gap: publications up to {@code position}
   * are lost to this node (Redis lost the channel and a new epoch began, or the missed offsets left
   * the history). Delivery continues with the publication after {@code position}, in the same call
   * order as publications.
   */
  void onReset(ChannelName channel, StreamPosition position);
}
