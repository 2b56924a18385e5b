package herald.lifecycle;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * Clients of a node in another process that note when each thing arrived ({@link System#nanoTime()}
 * on arrival, not when the test looks), on the JDK's own HTTP client: a drain test needs the moment
 * each client was told to go, while it waits for them one after the other.
 */
final class DrainClients {

  private DrainClients() {}

  /** One line or frame and when it arrived. */
  record Received(long nanos, String text) {}

  /** A WebSocket client on {@code herald.json} that answers the server's close, as browsers do. */
  static final class Socket implements WebSocket.Listener {

    final ConcurrentLinkedQueue<Received> frames = new ConcurrentLinkedQueue<>();
    final CompletableFuture<Integer> closeCode = new CompletableFuture<>();
    volatile long closedNanos;
    private final StringBuilder partial = new StringBuilder();

    static Socket open(HttpClient http, int port, String token) throws Exception {
      Socket socket = new Socket();
      http.newWebSocketBuilder()
          .subprotocols("herald.json")
          .header("Authorization", "Bearer " + token)
          .connectTimeout(Duration.ofSeconds(10))
          .buildAsync(URI.create("ws://127.0.0.1:" + port + "/ws"), socket)
          .get(20, TimeUnit.SECONDS);
      return socket;
    }

    @Override
    public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
      partial.append(data);
      if (last) {
        frames.add(new Received(System.nanoTime(), partial.toString()));
        partial.setLength(0);
      }
      webSocket.request(1);
      return null;
    }

    @Override
    public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
      closedNanos = System.nanoTime();
      closeCode.complete(statusCode);
      return null;
    }

    @Override
    public void onError(WebSocket webSocket, Throwable error) {
      closedNanos = System.nanoTime();
      closeCode.completeExceptionally(error);
    }
  }

  /**
   * An SSE stream read line by line on a thread of its own (the JDK client hands a streamed body
   * over as a blocking {@link java.util.stream.Stream}).
   */
  static final class Stream {

    final ConcurrentLinkedQueue<Received> lines = new ConcurrentLinkedQueue<>();
    final CompletableFuture<Long> ended = new CompletableFuture<>();
    final HttpResponse<java.util.stream.Stream<String>> response;

    private Stream(HttpResponse<java.util.stream.Stream<String>> response) {
      this.response = response;
    }

    static Stream open(HttpClient http, int port, String token, String channel, Executor readers)
        throws Exception {
      HttpRequest request =
          HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/sse?channel=" + channel))
              .header("Accept", "text/event-stream")
              .header("Authorization", "Bearer " + token)
              .build();
      Stream stream =
          new Stream(
              http.sendAsync(request, HttpResponse.BodyHandlers.ofLines())
                  .get(20, TimeUnit.SECONDS));
      readers.execute(stream::read);
      return stream;
    }

    private void read() {
      try (java.util.stream.Stream<String> body = response.body()) {
        body.forEach(line -> lines.add(new Received(System.nanoTime(), line)));
        ended.complete(System.nanoTime());
      } catch (RuntimeException e) {
        ended.completeExceptionally(e);
      }
    }

    /** The {@code data:} of the first event named {@code event}, with when its data arrived. */
    @Nullable Received event(String event) {
      List<Received> all = List.copyOf(lines);
      for (int i = 0; i + 1 < all.size(); i++) {
        if (all.get(i).text().equals("event: " + event)
            && all.get(i + 1).text().startsWith("data: ")) {
          Received data = all.get(i + 1);
          return new Received(data.nanos(), data.text().substring("data: ".length()));
        }
      }
      return null;
    }
  }
}
