package herald.lifecycle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import herald.support.TestTokens;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocketHandshakeException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * SIGTERM to a node in its own process, holding WebSocket and SSE clients, with a 3 s drain window
 * and the management port apart (as on Kubernetes): readiness goes DOWN before any client is told,
 * new connections get 503 with {@code Retry-After}, every client is told to reconnect (WebSocket:
 * {@code disconnect} push, then close 1012; SSE: {@code disconnect} event, then the end of the
 * stream), spread over the window, and the process exits a few seconds after it.
 */
class DrainIntegrationTests {

  private static final Logger log = LoggerFactory.getLogger(DrainIntegrationTests.class);

  private static final Duration WINDOW = Duration.ofSeconds(3);

  /** After the window: the web server's wait (5 s at most) and the context's close. */
  private static final Duration EXIT_MARGIN = Duration.ofSeconds(8);

  /** A node starts in seconds, but this machine may be shared with several builds. */
  private static final Duration START_UP = Duration.ofSeconds(180);

  private static final int SOCKETS = 6;
  private static final int STREAMS = 6;

  private final JsonMapper json = JsonMapper.builder().build();

  @Test
  @Timeout(value = 300, unit = TimeUnit.SECONDS)
  void sigtermDrainsReadinessFirstThenEveryClientOverTheWindowThenExits() throws Exception {
    HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    String token = TestTokens.user("alice").subscribe("news").token();
    ScheduledExecutorService poller = Executors.newSingleThreadScheduledExecutor();
    ExecutorService readers = Executors.newCachedThreadPool();
    try (NodeProcess node =
        NodeProcess.start(
            "drain-node",
            Map.of("HERALD_AUTH_HMAC_SECRET", TestTokens.SECRET, "HERALD_DRAIN_WINDOW", "3s"))) {
      node.awaitReady(START_UP);
      List<DrainClients.Socket> sockets = new ArrayList<>();
      for (int i = 0; i < SOCKETS; i++) {
        sockets.add(DrainClients.Socket.open(http, node.port(), token));
      }
      List<DrainClients.Stream> streams = new ArrayList<>();
      for (int i = 0; i < STREAMS; i++) {
        DrainClients.Stream stream =
            DrainClients.Stream.open(http, node.port(), token, "news", readers);
        assertThat(stream.response.statusCode()).isEqualTo(200);
        streams.add(stream);
      }
      awaitStreamsLive(streams);

      ConcurrentLinkedQueue<long[]> readiness = new ConcurrentLinkedQueue<>();
      // Each sample: when the answer arrived, and its status.
      poller.scheduleWithFixedDelay(
          () -> {
            int status = node.readinessStatus(http);
            readiness.add(new long[] {System.nanoTime(), status});
          },
          0,
          10,
          TimeUnit.MILLISECONDS);
      long sigterm = System.nanoTime();
      node.terminate();

      long down = awaitReadinessDown(readiness);
      assertNewConnectionsRefused(http, node.port(), token);

      List<Long> told = new ArrayList<>();
      for (DrainClients.Socket socket : sockets) {
        told.add(assertToldToReconnect(socket));
      }
      for (DrainClients.Stream stream : streams) {
        told.add(assertToldToReconnect(stream));
      }
      int exitCode = node.awaitExit(WINDOW.plus(EXIT_MARGIN).plusSeconds(5));
      long exited = System.nanoTime();
      poller.shutdownNow();
      Collections.sort(told);

      log.info(
          "drain timeline (ms after SIGTERM): readiness DOWN seen {}, first told {}, last told {},"
              + " exited {} (code {}); told at {}",
          millis(down - sigterm),
          millis(told.get(0) - sigterm),
          millis(told.get(told.size() - 1) - sigterm),
          millis(exited - sigterm),
          exitCode,
          told.stream().map(t -> millis(t - sigterm)).toList());

      assertThat(down).as("readiness DOWN before any client is told").isLessThan(told.get(0));
      assertThat(readiness)
          .as("readiness never UP again once DOWN")
          .noneMatch(sample -> sample[0] > down && sample[1] == 200);
      assertSpreadOverTheWindow(told, sigterm);
      assertThat(Duration.ofNanos(exited - sigterm))
          .as("exit within the window plus a few seconds")
          .isLessThanOrEqualTo(WINDOW.plus(EXIT_MARGIN));
      assertThat(node.output()).contains("drain started").contains("drain finished");
    } finally {
      poller.shutdownNow();
      readers.shutdownNow();
    }
  }

  private static void awaitStreamsLive(List<DrainClients.Stream> streams) {
    org.awaitility.Awaitility.await("SSE streams live")
        .atMost(Duration.ofSeconds(20))
        .until(
            () ->
                streams.stream()
                    .allMatch(s -> s.lines.stream().anyMatch(l -> l.text().startsWith("id: "))));
  }

  /** When the first 503 from readiness arrived. */
  private static long awaitReadinessDown(ConcurrentLinkedQueue<long[]> readiness) {
    org.awaitility.Awaitility.await("readiness DOWN")
        .atMost(Duration.ofSeconds(10))
        .pollInterval(Duration.ofMillis(10))
        .until(() -> readiness.stream().anyMatch(sample -> sample[1] == 503));
    return readiness.stream().filter(sample -> sample[1] == 503).findFirst().orElseThrow()[0];
  }

  private void assertNewConnectionsRefused(HttpClient http, int port, String token)
      throws Exception {
    HttpResponse<String> sse =
        http.send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/sse?channel=news"))
                .header("Authorization", "Bearer " + token)
                .timeout(Duration.ofSeconds(5))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(sse.statusCode()).isEqualTo(503);
    assertThat(sse.headers().firstValue("Retry-After")).hasValue("1");
    assertThat(json.readTree(sse.body()).at("/error/code").asInt()).isEqualTo(503);

    assertThatThrownBy(() -> DrainClients.Socket.open(http, port, token))
        .isInstanceOf(ExecutionException.class)
        .cause()
        .isInstanceOfSatisfying(
            WebSocketHandshakeException.class,
            refused -> {
              assertThat(refused.getResponse().statusCode()).isEqualTo(503);
              assertThat(refused.getResponse().headers().firstValue("Retry-After")).hasValue("1");
            });
  }

  /** A WebSocket client got the push, then close 1012; returns when the push arrived. */
  private long assertToldToReconnect(DrainClients.Socket socket) throws Exception {
    int code = socket.closeCode.get(WINDOW.plus(EXIT_MARGIN).toSeconds(), TimeUnit.SECONDS);
    assertThat(code).isEqualTo(1012);
    DrainClients.Received push =
        socket.frames.stream()
            .filter(frame -> frame.text().contains("\"disconnect\""))
            .findFirst()
            .orElseThrow(() -> new AssertionError("no disconnect push in " + socket.frames));
    JsonNode disconnect = json.readTree(push.text());
    assertThat(disconnect.get("type").asString()).isEqualTo("disconnect");
    assertThat(disconnect.get("code").asInt()).isEqualTo(1012);
    assertThat(disconnect.get("reconnect").asBoolean()).isTrue();
    assertThat(push.nanos()).isLessThanOrEqualTo(socket.closedNanos);
    return push.nanos();
  }

  /** An SSE client got the disconnect event, then the end of its stream. */
  private long assertToldToReconnect(DrainClients.Stream stream) throws Exception {
    long ended = stream.ended.get(WINDOW.plus(EXIT_MARGIN).toSeconds(), TimeUnit.SECONDS);
    DrainClients.Received event = stream.event("disconnect");
    assertThat(event).as("disconnect event in %s", stream.lines).isNotNull();
    JsonNode disconnect = json.readTree(event.text());
    assertThat(disconnect.get("code").asInt()).isEqualTo(1012);
    assertThat(disconnect.get("reconnect").asBoolean()).isTrue();
    assertThat(event.nanos()).isLessThanOrEqualTo(ended);
    return event.nanos();
  }

  /**
   * Spread, not a herd: from the first to the last they cover most of the window, and no third of
   * the window holds more than about a third of them (each client has its own slot of the window,
   * give or take the drain's 100 ms tick and this machine's scheduling).
   */
  private static void assertSpreadOverTheWindow(List<Long> told, long sigterm) {
    long windowNanos = WINDOW.toNanos();
    assertThat(told.get(told.size() - 1) - told.get(0))
        .as("first to last disconnect")
        .isGreaterThanOrEqualTo(windowNanos * 6 / 10);
    assertThat(told.get(told.size() - 1) - sigterm)
        .as("last disconnect within the window (plus signal handling)")
        .isLessThanOrEqualTo(windowNanos + Duration.ofMillis(1500).toNanos());
    int mostInAThird = 0;
    for (int i = 0; i < told.size(); i++) {
      int inThird = 0;
      for (long other : told.subList(i, told.size())) {
        if (other - told.get(i) < windowNanos / 3) {
          inThird++;
        }
      }
      mostInAThird = Math.max(mostInAThird, inThird);
    }
    assertThat(mostInAThird)
        .as("most disconnects within a third of the window")
        .isLessThanOrEqualTo((int) Math.ceil(told.size() * 0.6));
  }

  private static long millis(long nanos) {
    return TimeUnit.NANOSECONDS.toMillis(nanos);
  }
}
