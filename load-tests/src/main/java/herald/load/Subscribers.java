package herald.load;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import java.net.InetSocketAddress;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.netty.http.client.HttpClient;
import reactor.netty.http.client.WebsocketClientSpec;
import reactor.netty.resources.ConnectionProvider;
import reactor.netty.resources.LoopResources;

/**
 * The subscribing connections of one worker process: WebSocket ({@code herald.json}) or SSE clients
 * that subscribe to their channels, report when they are ready, and feed every received publication
 * to {@link Deliveries}. Non-blocking (Reactor Netty, a small event-loop group), so one process
 * holds many thousands of connections.
 */
final class Subscribers {

  private static final Duration READY_TIMEOUT = Duration.ofSeconds(60);

  private final String host;
  private final int port;
  private final LoopResources loops;
  private final Deliveries deliveries = new Deliveries();
  private final Queue<Disposable> open = new ConcurrentLinkedQueue<>();
  private final AtomicInteger dropped = new AtomicInteger();
  private volatile boolean closing;

  Subscribers(String host, int port, int threads) {
    this.host = host;
    this.port = port;
    this.loops = LoopResources.create("load", threads, true);
  }

  Deliveries deliveries() {
    return deliveries;
  }

  int openCount() {
    return open.size();
  }

  int dropped() {
    return dropped.get();
  }

  /**
   * Opens one connection subscribed to {@code channels}; completes when every subscribe is done.
   */
  Mono<Void> open(String transport, List<String> channels, String sourceIp) {
    HttpClient client =
        HttpClient.create(ConnectionProvider.newConnection())
            .runOn(loops)
            .bindAddress(() -> new InetSocketAddress(sourceIp, 0));
    return "sse".equals(transport) ? sse(client, channels) : websocket(client, channels);
  }

  private Mono<Void> websocket(HttpClient client, List<String> channels) {
    Sinks.Empty<Void> ready = Sinks.empty();
    long[] lastSeq = new long[channels.size()];
    int[] pendingReplies = {channels.size()};
    Flux<String> subscribes =
        Flux.range(0, channels.size())
            .map(
                i ->
                    "{\"id\":"
                        + (i + 1)
                        + ",\"op\":\"subscribe\",\"channel\":\""
                        + channels.get(i)
                        + "\"}");
    Disposable connection =
        client
            .websocket(
                WebsocketClientSpec.builder()
                    .protocols("herald.json")
                    .maxFramePayloadLength(1 << 20)
                    .build())
            .uri("ws://" + host + ":" + port + "/ws")
            .handle(
                (in, out) -> {
                  if (channels.isEmpty()) {
                    ready.tryEmitEmpty(); // a bare handshake
                  }
                  return out.sendString(subscribes)
                      .then()
                      .and(
                          in.receiveFrames()
                              .doOnNext(
                                  frame -> {
                                    if (!(frame instanceof TextWebSocketFrame)) {
                                      return;
                                    }
                                    ByteBuf content = frame.content();
                                    int from = content.readerIndex();
                                    int to = content.writerIndex();
                                    if (Bytes.startsWith(content, from, to, Bytes.REPLY)) {
                                      if (Bytes.indexOf(content, from, to, Bytes.ERROR) >= 0) {
                                        ready.tryEmitError(
                                            new IllegalStateException(
                                                content.toString(StandardCharsets.UTF_8)));
                                      } else if (--pendingReplies[0] == 0) {
                                        ready.tryEmitEmpty();
                                      }
                                      return;
                                    }
                                    deliveries.record(content, from, to, lastSeq);
                                  }));
                })
            .subscribe(
                null,
                error -> ended(ready, error),
                () -> ended(ready, new IllegalStateException("closed by the server")));
    return track(connection, ready);
  }

  private Mono<Void> sse(HttpClient client, List<String> channels) {
    Sinks.Empty<Void> ready = Sinks.empty();
    long[] lastSeq = new long[channels.size()];
    StringBuilder query = new StringBuilder("/sse?");
    for (int i = 0; i < channels.size(); i++) {
      query.append(i == 0 ? "" : "&").append("channel=");
      query.append(URLEncoder.encode(channels.get(i), StandardCharsets.UTF_8));
    }
    SseStream stream = new SseStream(deliveries, lastSeq, ready);
    Disposable connection =
        client
            .get()
            .uri("http://" + host + ":" + port + query)
            .responseContent()
            .doOnNext(stream::onChunk)
            .subscribe(
                null,
                error -> ended(ready, error),
                () -> ended(ready, new IllegalStateException("closed by the server")));
    return track(connection, ready);
  }

  private Mono<Void> track(Disposable connection, Sinks.Empty<Void> ready) {
    open.add(connection);
    return ready
        .asMono()
        .timeout(READY_TIMEOUT)
        .doOnError(
            error -> {
              open.remove(connection);
              connection.dispose();
            });
  }

  private void ended(Sinks.Empty<Void> ready, Throwable error) {
    if (ready.tryEmitError(error).isSuccess()) {
      return; // it never became ready: counted as a failed open
    }
    if (!closing) {
      dropped.incrementAndGet();
    }
  }

  /** Closes every connection; returns how many were open. */
  int closeAll() {
    closing = true;
    int count = 0;
    Disposable connection;
    while ((connection = open.poll()) != null) {
      connection.dispose();
      count++;
    }
    closing = false;
    return count;
  }

  /**
   * One SSE stream's parser: splits the text/event-stream into blocks at blank lines, keeping an
   * incomplete block for the next chunk. The stream is ready at its first {@code id:}-only block
   * (the server sends it once every channel is subscribed).
   */
  private static final class SseStream {
    private final Deliveries deliveries;
    private final long[] lastSeq;
    private final Sinks.Empty<Void> ready;
    private ByteBuf carry;

    SseStream(Deliveries deliveries, long[] lastSeq, Sinks.Empty<Void> ready) {
      this.deliveries = deliveries;
      this.lastSeq = lastSeq;
      this.ready = ready;
    }

    void onChunk(ByteBuf chunk) {
      ByteBuf buf = chunk;
      if (carry != null) {
        carry.writeBytes(chunk);
        buf = carry;
      }
      int from = buf.readerIndex();
      int to = buf.writerIndex();
      int end;
      while ((end = Bytes.indexOf(buf, from, to, Bytes.BLOCK_END)) >= 0) {
        if (!deliveries.record(buf, from, end, lastSeq)
            && Bytes.startsWith(buf, from, end, Bytes.ID_LINE)) {
          ready.tryEmitEmpty();
        }
        from = end + Bytes.BLOCK_END.length;
      }
      if (from == to) {
        carry = null;
      } else if (buf == carry) {
        carry.readerIndex(from);
        carry.discardReadBytes();
      } else {
        carry = Unpooled.buffer(Math.max(256, to - from));
        carry.writeBytes(buf, from, to - from);
      }
    }
  }
}
