package herald.protocol;

import herald.channel.ChannelName;
import herald.channel.StreamPosition;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.JsonNode;

/**
 * A client request over WebSocket. Each carries the client's numeric {@code id}, echoed in the one
 * reply it gets. Decoding never throws: a bad frame decodes to {@link Invalid}.
 */
public sealed interface Command {

  /** The request id; 0 when the frame carried none that could be read. */
  long id();

  /** {@code connect}: authenticate with a token, unless the handshake carried one. */
  record Connect(long id, @Nullable String token) implements Command {}

  /** {@code subscribe}: start receiving a channel, replaying what came after {@code since}. */
  record Subscribe(long id, ChannelName channel, @Nullable StreamPosition since)
      implements Command {}

  /** {@code unsubscribe}: stop receiving a channel. */
  record Unsubscribe(long id, ChannelName channel) implements Command {}

  /** {@code publish}: publish {@code data} to a channel as this client. */
  record Publish(long id, ChannelName channel, JsonNode data) implements Command {}

  /** {@code history}: read a channel's retained publications. */
  record History(
      long id, ChannelName channel, @Nullable StreamPosition since, @Nullable Integer limit)
      implements Command {}

  /**
   * {@code presence}: list who is subscribed to a channel, a page at a time: {@code cursor} is the
   * one the previous page's reply gave, {@code limit} the most entries wanted.
   */
  record Presence(long id, ChannelName channel, @Nullable String cursor, @Nullable Integer limit)
      implements Command {}

  /** {@code refresh}: replace the connection's token before it expires. */
  record Refresh(long id, String token) implements Command {}

  /**
   * {@code rpc}: a call of {@code method} with {@code data} (JSON {@code null} when absent) that
   * Herald forwards to the backend ({@code herald.proxy.rpc}, README "Backend integration").
   */
  record Rpc(long id, String method, JsonNode data) implements Command {}

  /** {@code ping}: an application-level round trip. */
  record Ping(long id) implements Command {}

  /** What a frame that could not be understood decodes to; answered with {@code code}. */
  record Invalid(long id, ErrorCode code, String message) implements Command {}
}
