package herald.security;

import herald.channel.ChannelName;
import java.time.Instant;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Who a connection is and what its current token allows.
 *
 * @param user the token's {@code sub}, or {@link #ANONYMOUS_USER} for connections without a token
 * @param subscribe patterns of channels the user may subscribe to
 * @param publish patterns of channels the user may publish to
 * @param expiresAt when the token expires; {@code null} when it never does
 * @param anonymous whether the connection presented no token
 * @param channels the token's {@code channels} claim: channels the server subscribes a WebSocket
 *     connection to at connect (README, "Server-side subscriptions"); they count as permitted
 */
public record Credentials(
    String user,
    List<ChannelPattern> subscribe,
    List<ChannelPattern> publish,
    @Nullable Instant expiresAt,
    boolean anonymous,
    List<ChannelName> channels) {

  /** The user id of connections without a token. */
  public static final String ANONYMOUS_USER = "";

  public Credentials {
    subscribe = List.copyOf(subscribe);
    publish = List.copyOf(publish);
    channels = List.copyOf(channels);
  }

  /** Credentials without a {@code channels} claim. */
  public Credentials(
      String user,
      List<ChannelPattern> subscribe,
      List<ChannelPattern> publish,
      @Nullable Instant expiresAt,
      boolean anonymous) {
    this(user, subscribe, publish, expiresAt, anonymous, List.of());
  }

  /** A connection without a token: it may subscribe only in anonymous namespaces. */
  public static Credentials anonymousUser() {
    return new Credentials(ANONYMOUS_USER, List.of(), List.of(), null, true);
  }

  private static final Credentials INSECURE_DEVELOPMENT =
      new Credentials(
          "anonymous",
          List.of(new ChannelPattern("*")),
          List.of(new ChannelPattern("*")),
          null,
          false);

  /**
   * Insecure development mode without a token: everything is allowed, as the start-up warning says.
   */
  public static Credentials insecureDevelopment() {
    return INSECURE_DEVELOPMENT;
  }

  /**
   * Whether a token may make this connection another user's: a connection without a token, or the
   * stand-in of insecure development mode, takes the user of the first token it presents.
   */
  public boolean provisional() {
    return anonymous || equals(INSECURE_DEVELOPMENT);
  }

  boolean maySubscribe(ChannelName channel) {
    return channel.isPersonalChannelOf(user) && !anonymous
        || matchesAny(subscribe, channel)
        || channels.contains(channel);
  }

  boolean mayPublish(ChannelName channel) {
    return matchesAny(publish, channel);
  }

  public boolean expired(Instant now) {
    return expiresAt != null && !now.isBefore(expiresAt);
  }

  private static boolean matchesAny(List<ChannelPattern> patterns, ChannelName channel) {
    for (ChannelPattern pattern : patterns) {
      if (pattern.matches(channel)) {
        return true;
      }
    }
    return false;
  }
}
