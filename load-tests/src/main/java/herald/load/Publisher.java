package herald.load;

import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.netty.ByteBufMono;
import reactor.netty.http.client.HttpClient;
import reactor.netty.http.client.WebsocketClientSpec;
import reactor.netty.resources.ConnectionProvider;
import reactor.netty.resources.LoopResources;

/**
 * Publishes a step's {@link Publications} at their rate, over one WebSocket connection ({@code ws}:
 * pipelined publish commands) or over the backend API ({@code http}: {@code POST /api/v1/publish}
 * with up to 64 requests in flight, one per channel at a time). Counts refused publications.
 */
final class Publisher {

  private static final int LANES = 64;

  private final String host;
  private final int port;
  private final String transport;
  private final String apiKey;
  private final LoopResources loops = LoopResources.create("publisher", 1, true);
  private final AtomicLong errors = new AtomicLong();
  private final AtomicLong ids = new AtomicLong();
  private volatile boolean publishing;
  private volatile String closedBy = "";

  Publisher(String host, int port, String transport, String apiKey) {
    this.host = host;
    this.port = port;
    this.transport = transport;
    this.apiKey = apiKey;
  }

  /** How the node closed the publishing connection during the last step, or "" if it did not. */
  String closedBy() {
    return closedBy;
  }

  long errors() {
    return errors.get();
  }

  /** Publishes the step; returns when every publication was sent (WS) or answered (HTTP). */
  void run(Publications publications, Publications.Step step) {
    long start = System.nanoTime();
    double length = step.seconds * 1e9;
    Flux<Publications.Publication> paced =
        Flux.interval(Duration.ofMillis(1))
            .onBackpressureDrop()
            .map(tick -> (System.nanoTime() - start) / length)
            .takeUntil(fraction -> fraction >= 1)
            .concatMapIterable(fraction -> publications.due(step, fraction));
    Duration limit = Duration.ofSeconds(step.seconds + 30);
    closedBy = "";
    publishing = true;
    try {
      if ("http".equals(transport)) {
        http(paced).blockLast(limit);
      } else {
        websocket(paced).block(limit);
      }
    } finally {
      publishing = false;
    }
  }

  private Mono<Void> websocket(Flux<Publications.Publication> paced) {
    Flux<String> frames =
        paced.map(
            p ->
                "{\"id\":"
                    + ids.incrementAndGet()
                    + ",\"op\":\"publish\",\"channel\":\""
                    + p.channel()
                    + "\",\"data\":"
                    + p.data()
                    + "}");
    return HttpClient.create(ConnectionProvider.newConnection())
        .runOn(loops)
        .websocket(WebsocketClientSpec.builder().protocols("herald.json").build())
        .uri("ws://" + host + ":" + port + "/ws")
        .handle(
            (in, out) -> {
              in.receiveFrames().doOnNext(this::onReply).subscribe();
              // the node may close a publisher that does not read its replies fast enough (4008);
              // 1000/1006 are our own close at the end of the step
              in.receiveCloseStatus()
                  .subscribe(
                      status -> {
                        if (publishing && status.code() != 1000 && status.code() != 1006) {
                          closedBy = status.code() + " " + status.reasonText();
                        }
                      });
              // after the last publication, give its replies a moment before closing
              return out.sendString(frames).then().then(Mono.delay(Duration.ofSeconds(1))).then();
            })
        .then();
  }

  private void onReply(io.netty.handler.codec.http.websocketx.WebSocketFrame frame) {
    if (frame instanceof TextWebSocketFrame) {
      ByteBuf c = frame.content();
      if (Bytes.indexOf(c, c.readerIndex(), c.writerIndex(), Bytes.ERROR) >= 0
          && errors.incrementAndGet() <= 3) {
        System.err.println("publish: " + c.toString(StandardCharsets.UTF_8));
      }
    }
  }

  private Flux<Integer> http(Flux<Publications.Publication> paced) {
    HttpClient client =
        HttpClient.create(ConnectionProvider.create("publish", LANES))
            .runOn(loops)
            .baseUrl("http://" + host + ":" + port)
            .headers(h -> h.set("X-API-Key", apiKey).set("Content-Type", "application/json"));
    // Requests in flight are answered in any order, so one channel's publications go one after
    // the other (their sequence numbers must stay in offset order): 64 lanes, by channel.
    return paced
        .groupBy(p -> Math.floorMod(p.channel().hashCode(), LANES))
        .flatMap(lane -> lane.concatMap(p -> post(client, p)), LANES);
  }

  private Mono<Integer> post(HttpClient client, Publications.Publication p) {
    return client
        .post()
        .uri("/api/v1/publish")
        .send(
            ByteBufMono.fromString(
                Mono.just("{\"channel\":\"" + p.channel() + "\",\"data\":" + p.data() + "}")))
        .responseSingle(
            (response, body) -> {
              int status = response.status().code();
              if (status != 200 && errors.incrementAndGet() <= 3) {
                System.err.println("publish: HTTP " + status);
              }
              return body.then(Mono.just(status));
            });
  }
}
