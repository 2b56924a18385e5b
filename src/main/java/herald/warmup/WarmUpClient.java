package herald.warmup;

import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;
import org.reactivestreams.Publisher;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;

/**
 * One of the warm-up's clients of the node, WebSocket or SSE: it is subscribed to the warm-up
 * channel, counts the publications that reach it and ends once it has them all. Read on the warm-up
 * client's one event loop.
 */
abstract class WarmUpClient {

  private final int publications;
  private final AtomicLong delivered;
  private final Sinks.Empty<Void> joined = Sinks.empty();
  private final Sinks.Empty<Void> finished = Sinks.empty();
  private boolean subscribed;
  private int received;
  private @Nullable Disposable exchange;

  WarmUpClient(int publications, AtomicLong delivered) {
    this.publications = publications;
    this.delivered = delivered;
  }

  /** Runs {@code exchange}, the client's whole conversation with the node. */
  final void run(Publisher<?> exchange) {
    this.exchange =
        Flux.from(exchange)
            .subscribe(
                ignored -> {},
                error -> {
                  joined.tryEmitError(error);
                  finished.tryEmitError(error);
                },
                () -> {
                  if (done()) {
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

  /** The node subscribed the client to the warm-up channel. */
  final void subscribed() {
    subscribed = true;
    joined.tryEmitEmpty();
  }

  final boolean isSubscribed() {
    return subscribed;
  }

  /** A publication reached the client. */
  final void received() {
    received++;
    delivered.incrementAndGet();
  }

  /** Whether the client is subscribed and has every publication. */
  final boolean done() {
    return subscribed && received >= publications;
  }

  /** Completes when the node has subscribed the client to the warm-up channel. */
  final Mono<Void> joined() {
    return joined.asMono();
  }

  /** Completes when the client got every publication and ended. */
  final Mono<Void> finished() {
    return finished.asMono();
  }

  final void close() {
    Disposable current = exchange;
    if (current != null) {
      current.dispose();
    }
  }
}
