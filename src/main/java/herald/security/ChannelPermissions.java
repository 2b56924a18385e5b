package herald.security;

import herald.channel.ChannelName;
import herald.channel.ChannelOptions;
import herald.channel.ChannelOptionsResolver;
import herald.protocol.HeraldException;
import java.time.Clock;

/**
 * Decides whether a connection may subscribe or publish, against the token it holds right now.
 * Every subscribe and every publish asks again.
 */
public final class ChannelPermissions {

  private final ChannelOptionsResolver options;
  private final Clock clock;
  private final boolean insecure;

  public ChannelPermissions(ChannelOptionsResolver options, Clock clock) {
    this(options, clock, false);
  }

  /**
   * @param insecure insecure development mode: clients may publish in every namespace, as the
   *     start-up warning says, so the demo page works without configuration
   */
  public ChannelPermissions(ChannelOptionsResolver options, Clock clock, boolean insecure) {
    this.options = options;
    this.clock = clock;
    this.insecure = insecure;
  }

  /**
   * The credentials of a client that presents no token: the stand-in user of insecure development
   * mode, or an anonymous connection, which may only subscribe in anonymous namespaces.
   *
   * @throws HeraldException 401 when no namespace admits anonymous connections: such a connection
   *     could do nothing but hold a socket
   */
  public Credentials withoutToken() {
    if (insecure) {
      return Credentials.insecureDevelopment();
    }
    if (!options.anyAnonymous()) {
      throw HeraldException.unauthorized("a token is required");
    }
    return Credentials.anonymousUser();
  }

  /**
   * @throws HeraldException 401 when the token expired, 403 when the channel is not permitted
   */
  public void checkSubscribe(Credentials credentials, ChannelName channel) {
    checkNotExpired(credentials);
    if (permitsSubscribe(credentials, channel)) {
      return;
    }
    throw credentials.anonymous()
        ? HeraldException.unauthorized("a token is required to subscribe to " + channel)
        : HeraldException.forbidden("not permitted to subscribe to " + channel);
  }

  /**
   * Whether {@code credentials} permit subscribing to {@code channel}, expiry aside: an anonymous
   * namespace, the user's personal channel, or a matching {@code subscribe} pattern.
   */
  public boolean permitsSubscribe(Credentials credentials, ChannelName channel) {
    return options.optionsFor(channel).anonymous() || credentials.maySubscribe(channel);
  }

  /**
   * @throws HeraldException 401 when the token expired, 403 when clients may not publish to the
   *     channel
   */
  public void checkPublish(Credentials credentials, ChannelName channel) {
    checkNotExpired(credentials);
    ChannelOptions channelOptions = options.optionsFor(channel);
    if (!channelOptions.clientPublish() && !insecure) {
      throw HeraldException.forbidden("clients may not publish to " + channel);
    }
    if (credentials.anonymous() || !credentials.mayPublish(channel)) {
      throw HeraldException.forbidden("not permitted to publish to " + channel);
    }
  }

  private void checkNotExpired(Credentials credentials) {
    if (credentials.expired(clock.instant())) {
      throw HeraldException.unauthorized("token expired");
    }
  }
}
