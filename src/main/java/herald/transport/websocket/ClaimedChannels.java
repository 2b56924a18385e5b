package herald.transport.websocket;

import herald.connection.ClientSession;
import herald.connection.ClientSession.ServerSubscribe;
import herald.connection.ConnectionLog;
import herald.security.Credentials;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Subscribes a WebSocket connection, once it is authenticated, to the channels of its token's
 * {@code channels} claim, as a server-side subscribe would (README, "Server-side subscriptions"): a
 * {@code subscribe} push per channel, no permission check, in the claim's order up to the
 * connection's channel limit. Channels past the limit are left out with a warning, since the token
 * asks for more than the node allows; the connection stays.
 */
final class ClaimedChannels {

  private static final Logger log = LoggerFactory.getLogger(ClaimedChannels.class);

  // Claimed channels subscribed at once; subscriptions are reserved in the claim's order all the
  // same, so the limit leaves out the last ones.
  private static final int IN_FLIGHT = 16;

  private ClaimedChannels() {}

  /** Completes once every claimed channel is subscribed or left out; never fails. */
  static Mono<Void> subscribe(ClientSession client, Credentials credentials) {
    if (credentials.channels().isEmpty()) {
      return Mono.empty();
    }
    return Flux.fromIterable(credentials.channels())
        .flatMapSequential(
            channel ->
                client
                    .subscribeByServer(channel)
                    .onErrorResume(
                        error -> {
                          ConnectionLog.about(log.atWarn(), client)
                              .log(
                                  "client={} user={} claimed channel {} not subscribed: {}",
                                  channel,
                                  error.getMessage());
                          return Mono.empty();
                        }),
            IN_FLIGHT)
        .filter(outcome -> outcome == ServerSubscribe.AT_LIMIT)
        .count()
        .doOnNext(
            leftOut -> {
              if (leftOut > 0) {
                ConnectionLog.about(log.atWarn(), client)
                    .log(
                        "client={} user={} {} claimed channels left out: the connection holds as"
                            + " many channels as herald.limits.max-channels-per-connection allows",
                        leftOut);
              }
            })
        .then();
  }
}
