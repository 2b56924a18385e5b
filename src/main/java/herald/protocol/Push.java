package herald.protocol;

import herald.channel.ChannelName;
import herald.channel.ClientInfo;
import herald.channel.Publication;
import herald.channel.StreamPosition;

/** A frame the server sends on its own, without a request id; its {@code type} names it. */
public sealed interface Push extends ServerFrame {

  /** {@code message}: a publication on a subscribed channel. */
  record Message(Publication publication) implements Push {}

  /** {@code join}: a connection subscribed to the channel (namespaces with join-leave). */
  record Join(ChannelName channel, ClientInfo client) implements Push {}

  /** {@code leave}: a connection left the channel (namespaces with join-leave). */
  record Leave(ChannelName channel, ClientInfo client) implements Push {}

  /**
   * {@code reset}: the subscription lost its position (the cluster lost the channel's history, a
   * new epoch began, or the missed offsets left the history) and continues, still subscribed, with
   * the publication after {@code position}; what came before it is gone.
   */
  record Reset(ChannelName channel, StreamPosition position) implements Push {}

  /**
   * {@code subscribe}: the server subscribed the connection to the channel (backend API or the
   * token's {@code channels} claim); its publications after {@code position} follow.
   */
  record Subscribe(ChannelName channel, StreamPosition position) implements Push {}

  /** {@code unsubscribe}: the server removed the subscription. */
  record Unsubscribe(ChannelName channel, String reason) implements Push {}

  /** {@code disconnect}: sent just before the server closes the connection. */
  record Disconnect(CloseCode code, String reason) implements Push {

    public boolean reconnect() {
      return code.reconnect();
    }
  }
}
