package herald.warmup;

import java.util.concurrent.atomic.AtomicLong;
import reactor.core.publisher.Mono;
import reactor.netty.http.client.HttpClient;
import reactor.netty.http.websocket.WebsocketInbound;
import reactor.netty.http.websocket.WebsocketOutbound;

/**
 * A warm-up client on WebSocket, speaking the README's protocol: it sends {@code subscribe}, counts
 * the {@code message} pushes and closes once it has them all.
 */
final class WarmUpConnection extends WarmUpClient {

  private static final String SUBSCRIBED_REPLY = "{\"id\":1,\"result\"";
  private static final String MESSAGE_PUSH = "\"type\":\"message\"";

  private final String subscribe;

  WarmUpConnection(String channel, int publications, AtomicLong delivered) {
    super(publications, delivered);
    this.subscribe = "{\"id\":1,\"op\":\"subscribe\",\"channel\":\"" + channel + "\"}";
  }

  /** Opens the connection with {@code client}, which carries its token and the pass. */
  void open(HttpClient.WebsocketReceiver<?> client) {
    run(client.handle(this::exchange));
  }

  private Mono<Void> exchange(WebsocketInbound in, WebsocketOutbound out) {
    Mono<Void> frames =
        in.receive().asString().doOnNext(this::onFrame).takeUntil(frame -> done()).then();
    return out.sendString(Mono.just(subscribe))
        .then()
        .and(frames)
        .then(out.sendClose(1000, "warm-up done"));
  }

  private void onFrame(String frame) {
    if (!isSubscribed()) {
      if (!frame.startsWith(SUBSCRIBED_REPLY)) {
        throw new IllegalStateException("the node refused the warm-up's subscribe: " + frame);
      }
      subscribed();
    } else if (frame.contains(MESSAGE_PUSH)) {
      received();
    }
  }
}
