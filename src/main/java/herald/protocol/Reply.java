package herald.protocol;

import herald.channel.ClientInfo;
import herald.channel.Publication;
import java.util.List;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.node.ObjectNode;

/**
 * The one answer to a request: {@code {"id":n,"result":{...}}} or {@code
 * {"id":n,"error":{"code":...,"message":"..."}}}.
 *
 * @param id the request's id
 * @param result one of the nested result records, when the request succeeded
 * @param error the failure, when it did not
 */
public record Reply(long id, @Nullable Result result, @Nullable Error error)
    implements ServerFrame {

  public static Reply ok(long id, Result result) {
    return new Reply(id, result, null);
  }

  public static Reply error(long id, ErrorCode code, String message) {
    return new Reply(id, null, new Error(code.code(), message));
  }

  /**
   * An error reply with a code that may not be one of Herald's own: one a backend chose (README
   * "Backend integration"); see {@link HeraldException#status()}.
   */
  public static Reply error(long id, HeraldException error) {
    return new Reply(id, null, new Error(error.status(), error.getMessage()));
  }

  /** The error part of a reply: an {@link ErrorCode}'s number, or one a backend chose. */
  public record Error(int code, String message) {}

  /** The result of a successful request. */
  public sealed interface Result {}

  /** {@code connect}: the connection's id, the node's name and seconds until the token expires. */
  public record Connected(String client, String node, @Nullable Long ttl) implements Result {}

  /** {@code subscribe}: the channel's position and whether the requested position was recovered. */
  public record Subscribed(String epoch, long offset, boolean recovered) implements Result {}

  /** {@code publish}: the offset the publication got. */
  public record Published(long offset) implements Result {}

  /** {@code rpc}: the backend's {@code result} object, as it answered it. */
  public record RpcResult(ObjectNode value) implements Result {}

  /** {@code history}: the publications and the channel's current position. */
  public record HistoryResult(
      List<Publication> publications, long offset, String epoch, boolean recovered)
      implements Result {}

  /**
   * {@code presence}: who is subscribed, a page at a time; {@code cursor} (absent on the last page)
   * asks for the next one.
   */
  public record PresenceResult(List<ClientInfo> clients, @Nullable String cursor)
      implements Result {}

  /** {@code refresh}: seconds until the new token expires. */
  public record Refreshed(@Nullable Long ttl) implements Result {}

  /** An empty result: {@code {}}. */
  public record Empty() implements Result {}
}
