package herald.support;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.handler.codec.http.HttpHeaders;
import java.io.ByteArrayOutputStream;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedTransferQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Predicate;
import org.jspecify.annotations.Nullable;
import reactor.core.Disposable;
import reactor.netty.http.client.HttpClient;

/**
 * A small SSE client on a real socket (Reactor Netty {@link HttpClient}, one connection per stream,
 * never pooled) that parses the raw {@code text/event-stream} into {@link Event} blocks, as a
 * browser does, and lets a test wait for each with a timeout.
 *
 * <p>Bytes arrive on a Netty event loop, which only parses and hands blocks to a lock-free queue;
 * the test thread does all the waiting. Like {@code EventSource}, it remembers the last {@code id}
 * it has <em>handed to the test</em> ({@link #lastEventId()}), so closing after reading some events
 * and resuming from {@link #lastEventId()} models a browser that went away at that point.
 *
 * <pre>{@code
 * try (TestSseClient sse = TestSseClient.to(port).channel("document:42").bearer(token).open()) {
 *   assertThat(sse.status()).isEqualTo(200);
 *   assertThat(sse.next().retry()).isEqualTo(3000);
 * }
 * }</pre>
 */
public final class TestSseClient implements AutoCloseable {

  /** How long {@link #next()} and friends wait unless told otherwise. */
  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(5);

  private final CompletableFuture<Response> response = new CompletableFuture<>();
  private final CompletableFuture<Void> ended = new CompletableFuture<>();
  private final LinkedTransferQueue<Event> events = new LinkedTransferQueue<>();
  private final Parser parser = new Parser(events::offer);
  private final StringBuffer raw = new StringBuffer();
  private final Disposable connection;
  private @Nullable String lastEventId;

  private TestSseClient(int port, String uri, Map<String, String> headers) {
    this.connection =
        HttpClient.newConnection()
            .host("127.0.0.1")
            .port(port)
            .headers(
                h -> {
                  h.set("Accept", "text/event-stream");
                  headers.forEach(h::set);
                })
            .get()
            .uri(uri)
            .response(
                (res, body) -> {
                  response.complete(
                      new Response(res.status().code(), res.responseHeaders().copy()));
                  return body.asByteArray();
                })
            .subscribe(this::received, ended::completeExceptionally, () -> ended.complete(null));
  }

  /** Starts a request to {@code GET /sse} on {@code port}. */
  public static Request to(int port) {
    return new Request(port);
  }

  private void received(byte[] bytes) {
    raw.append(new String(bytes, StandardCharsets.UTF_8));
    parser.feed(bytes);
  }

  /** The response status, once the headers arrived. */
  public int status() {
    return response().status();
  }

  /** The response headers, once they arrived. */
  public HttpHeaders headers() {
    return response().headers();
  }

  private Response response() {
    return await(response, DEFAULT_TIMEOUT, "the response headers");
  }

  /** Everything received once the server ended the response, as text: for error bodies. */
  public String body() {
    awaitEnd(DEFAULT_TIMEOUT);
    return raw.toString();
  }

  /** The next block of the stream, whatever it holds (comments included). */
  public Event next() {
    return next(DEFAULT_TIMEOUT);
  }

  /** The next block of the stream, waiting at most {@code timeout}. */
  public Event next(Duration timeout) {
    Event event;
    try {
      event = events.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted while waiting for an SSE event", e);
    }
    if (event == null) {
      throw new AssertionError(
          "no SSE event within " + timeout + (ended.isDone() ? " (the stream ended)" : ""));
    }
    if (event.id() != null) {
      lastEventId = event.id();
    }
    return event;
  }

  /** The next block that is not only comments ({@code : ping}): heartbeats are skipped. */
  public Event nextEvent() {
    return nextEvent(DEFAULT_TIMEOUT);
  }

  /** The next block that is not only comments, waiting at most {@code timeout} in all. */
  public Event nextEvent(Duration timeout) {
    return nextMatching(event -> !event.commentOnly(), timeout);
  }

  /** The next {@code event: message}, skipping heartbeats; fails on any other event. */
  public Event nextMessage() {
    Event event = nextEvent();
    if (!event.isMessage()) {
      throw new AssertionError("expected a message event but got " + event);
    }
    return event;
  }

  /** The next block matching {@code wanted}, skipping (and dropping) those before it. */
  public Event nextMatching(Predicate<Event> wanted, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      long left = deadline - System.nanoTime();
      Event event = next(Duration.ofNanos(Math.max(left, 0)));
      if (wanted.test(event)) {
        return event;
      }
    }
  }

  /** The last {@code id} of the blocks handed to the test, as {@code EventSource} keeps it. */
  public @Nullable String lastEventId() {
    return lastEventId;
  }

  /** Waits until the server ends the response. */
  public void awaitEnd(Duration timeout) {
    await(ended, timeout, "the end of the stream");
  }

  /** Whether the server ended the response (or the connection failed). */
  public boolean isEnded() {
    return ended.isDone();
  }

  /** Closes the connection, as a browser tab going away. */
  @Override
  public void close() {
    connection.dispose();
  }

  private static <T> T await(CompletableFuture<T> future, Duration timeout, String what) {
    try {
      return future.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      throw new AssertionError("timed out after " + timeout + " waiting for " + what);
    } catch (ExecutionException e) {
      throw new AssertionError("failed while waiting for " + what, e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted while waiting for " + what, e);
    }
  }

  private record Response(int status, HttpHeaders headers) {}

  /**
   * One block of the stream, between blank lines. Fields not present are {@code null}.
   *
   * @param event the {@code event:} field
   * @param id the {@code id:} field
   * @param data the {@code data:} lines joined with {@code \n}
   * @param retry the {@code retry:} field
   * @param comments the text of comment lines ({@code ": ping"} gives {@code "ping"})
   * @param raw the block as received, for failure messages
   */
  public record Event(
      @Nullable String event,
      @Nullable String id,
      @Nullable String data,
      @Nullable Long retry,
      List<String> comments,
      String raw) {

    /** Whether the block has only comments, as a heartbeat does. */
    public boolean commentOnly() {
      return event == null && id == null && data == null && retry == null && !comments.isEmpty();
    }

    /** Whether it is the {@code : ping} heartbeat. */
    public boolean isPing() {
      return commentOnly() && comments.equals(List.of("ping"));
    }

    public boolean isMessage() {
      return "message".equals(event);
    }

    /** Whether it only sets the client's last event id. */
    public boolean idOnly() {
      return id != null && event == null && data == null && retry == null;
    }

    @Override
    public String toString() {
      return "Event[" + raw.replace("\n", "\\n") + "]";
    }
  }

  /** Builds the request: channels, token, resume position, other headers. */
  public static final class Request {

    private final int port;
    private final List<String> query = new ArrayList<>();
    private final Map<String, String> headers = new LinkedHashMap<>();

    private Request(int port) {
      this.port = port;
    }

    public Request channel(String... channels) {
      for (String channel : channels) {
        query("channel", channel);
      }
      return this;
    }

    /** {@code Authorization: Bearer <token>}. */
    public Request bearer(String token) {
      return header("Authorization", "Bearer " + token);
    }

    /** {@code ?token=}, as a browser must send it. */
    public Request tokenParameter(String token) {
      return query("token", token);
    }

    /** {@code Last-Event-ID}, as EventSource sends it on reconnect. */
    public Request lastEventId(String id) {
      return header("Last-Event-ID", id);
    }

    /** {@code ?lastEventId=}. */
    public Request lastEventIdParameter(String id) {
      return query("lastEventId", id);
    }

    public Request header(String name, String value) {
      headers.put(name, value);
      return this;
    }

    /** Adds a query parameter, URL-encoded. */
    public Request query(String name, String value) {
      query.add(name + "=" + URLEncoder.encode(value, StandardCharsets.UTF_8));
      return this;
    }

    /** Connects. The stream starts being read at once; close the client to disconnect. */
    public TestSseClient open() {
      String uri = "/sse" + (query.isEmpty() ? "" : "?" + String.join("&", query));
      return new TestSseClient(port, uri, headers);
    }

    /**
     * Connects and reads the stream's opening: asserts 200, the {@code retry:} block first, then
     * the id-only block that says every channel is subscribed (heartbeats skipped). From then on,
     * publications are delivered live.
     */
    public TestSseClient openSubscribed() {
      TestSseClient sse = open();
      try {
        assertThat(sse.status()).as("status of a stream that should open").isEqualTo(200);
        Event retry = sse.next();
        assertThat(retry.retry()).as("retry: comes first, got %s", retry).isNotNull();
        Event subscribed = sse.nextEvent();
        assertThat(subscribed.idOnly())
            .as("id-only block after subscribing: %s", subscribed)
            .isTrue();
        return sse;
      } catch (AssertionError | RuntimeException e) {
        sse.close();
        throw e;
      }
    }
  }

  /**
   * The event-stream grammar of the HTML standard, enough for tests: lines end in LF, CRLF or CR; a
   * blank line ends a block; {@code field: value} with one optional space after the colon; a line
   * starting with a colon is a comment.
   */
  private static final class Parser {

    private final java.util.function.Consumer<Event> sink;
    private final ByteArrayOutputStream line = new ByteArrayOutputStream();
    private final StringBuilder block = new StringBuilder();
    private final List<String> comments = new ArrayList<>();
    private @Nullable String event;
    private @Nullable String id;
    private @Nullable StringBuilder data;
    private @Nullable Long retry;
    private boolean afterCarriageReturn;

    Parser(java.util.function.Consumer<Event> sink) {
      this.sink = sink;
    }

    void feed(byte[] bytes) {
      for (byte b : bytes) {
        if (b == '\n' && afterCarriageReturn) {
          afterCarriageReturn = false;
          continue;
        }
        afterCarriageReturn = b == '\r';
        if (b == '\n' || b == '\r') {
          endLine(line.toString(StandardCharsets.UTF_8));
          line.reset();
        } else {
          line.write(b);
        }
      }
    }

    private void endLine(String text) {
      if (text.isEmpty()) {
        dispatch();
        return;
      }
      block.append(text).append('\n');
      if (text.startsWith(":")) {
        comments.add(text.substring(1).strip());
        return;
      }
      int colon = text.indexOf(':');
      String field = colon < 0 ? text : text.substring(0, colon);
      String value = colon < 0 ? "" : text.substring(colon + 1);
      if (value.startsWith(" ")) {
        value = value.substring(1);
      }
      switch (field) {
        case "event" -> event = value;
        case "id" -> id = value;
        case "data" ->
            data = data == null ? new StringBuilder(value) : data.append('\n').append(value);
        case "retry" -> retry = Long.parseLong(value);
        default -> {}
      }
    }

    private void dispatch() {
      if (block.length() > 0) {
        sink.accept(
            new Event(
                event,
                id,
                data == null ? null : data.toString(),
                retry,
                List.copyOf(comments),
                block.toString()));
      }
      block.setLength(0);
      comments.clear();
      event = null;
      id = null;
      data = null;
      retry = null;
    }
  }
}
