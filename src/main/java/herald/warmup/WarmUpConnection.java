package herald.warmup;

import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;
import reactor.core.Disposable;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.netty.http.client.HttpClient;
import reactor.netty.http.websocket.WebsocketInbound;
import reactor.netty.http.websocket.WebsocketOutbound;

/**
 * One of the warm-up's WebSocket connections to the node, as a client of the README's protocol: it
 * subscribes to the warm-up channel, counts the publications pushed to it and closes once it has
 * them all. Its frames are read on the warm-up client's one event loop.
 */
final class WarmUpConnection {

  private static final String SUBSCRIBED_REPLY = "{\"id\":1,\"result\"";
  private static final String MESSAGE_PUSH = "\"type\":\"message\"";

  private final String subscribe;
  private final int publications;
  private final AtomicLong delivered;
  private final Sinks.Empty<Void> joined = Sinks.empty();
  private final Sinks.Empty<Void> finished = Sinks.empty();
  private boolean subscribed;
  private int received;
  private @Nullable Disposable connection;

  WarmUpConnection(String channel, int publications, AtomicLong delivered) {
    this.subscribe = "{\"id\":1,\"op\":\"subscribe\",\"channel\":\"" + channel + "\"}";
    this.publications = publications;
    this.delivered = delivered;
  }

  /** Opens the connection with {@code client}, which carries its token and the pass. */
  void open(HttpClient.WebsocketReceiver<?> client) {
    connection =
        client
            .handle(this::exchange)
            .subscribe(
                ignored -> {},
                error -> {
                  joined.tryEmitError(error);
                  finished.tryEmitError(error);
                },
                () -> {
                  if (subscribed && received >= publications) {
                    finished.tryEmitEmpty();
                  } else {
                    IllegalStateException early =
                        new IllegalStateException(
                            subscribed
                                ? "closed after "
                                    + received
                                    + " of "
                                    + publications
                                    + " publications"
                                : "closed before it subscribed");
                    joined.tryEmitError(early);
                    finished.tryEmitError(early);
                  }
                });
  }

  /** Completes when the node has subscribed the connection to the warm-up channel. */
  Mono<Void> joined() {
    return joined.asMono();
  }

  /** Completes when the connection got every publication and closed. */
  Mono<Void> finished() {
    return finished.asMono();
  }

  void close() {
    Disposable current = connection;
    if (current != null) {
      current.dispose();
    }
  }

  private Mono<Void> exchange(WebsocketInbound in, WebsocketOutbound out) {
    Mono<Void> frames =
        in.receive()
            .asString()
            .doOnNext(this::onFrame)
            .takeUntil(frame -> subscribed && received >= publications)
            .then();
    return out.sendString(Mono.just(subscribe))
        .then()
        .and(frames)
        .then(out.sendClose(1000, "warm-up done"));
  }

  private void onFrame(String frame) {
    if (!subscribed) {
      if (!frame.startsWith(SUBSCRIBED_REPLY)) {
        throw new IllegalStateException("the node refused the warm-up's subscribe: " + frame);
      }
      subscribed = true;
      joined.tryEmitEmpty();
    } else if (frame.contains(MESSAGE_PUSH)) {
      received++;
      delivered.incrementAndGet();
    }
  }
}
