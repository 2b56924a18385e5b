package herald.transport.websocket;

import static herald.transport.websocket.WebSocketIntegrationTests.fields;
import static herald.transport.websocket.WebSocketIntegrationTests.result;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import herald.support.Frames;
import herald.support.TestTokens;
import herald.support.TestWebSocketClient;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.boot.webtestclient.autoconfigure.AutoConfigureWebTestClient;
import tools.jackson.databind.JsonNode;

/**
 * The WebSocket timers (connect deadline, token expiry, heartbeat) on a node whose timers are
 * seconds rather than tens of seconds. Nothing here sleeps: each test waits for the server's frame
 * or, to prove that nothing happens, watches the connection stay open for a while with Awaitility.
 */
@SpringBootTest(
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {
      "herald.auth.hmac-secret=" + TestTokens.SECRET,
      "herald.api.key=" + TestTokens.API_KEY,
      "herald.namespaces.chat.client-publish=true",
      "herald.namespaces.chat.join-leave=true",
      "herald.namespaces.public.anonymous=true",
      "herald.namespaces.short.history-size=3",
      "herald.websocket.connect-timeout=1s",
      "herald.websocket.ping-interval=200ms",
      "herald.websocket.ping-timeout=1s"
    })
@AutoConfigureWebTestClient
class WebSocketDeadlinesIntegrationTests {

  private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(1);
  private static final Duration PING_TIMEOUT = Duration.ofSeconds(1);
  private static final AtomicInteger SEQUENCE = new AtomicInteger();

  @LocalServerPort int port;

  private final List<TestWebSocketClient> clients = new ArrayList<>();

  @AfterEach
  void closeClients() {
    clients.forEach(TestWebSocketClient::close);
  }

  @Test
  void withoutConnectFrameTheServerClosesWith4001AfterTheConnectTimeout() {
    long started = System.nanoTime();
    TestWebSocketClient client = track(client().open());

    JsonNode disconnect = client.push("disconnect");
    Duration waited = Duration.ofNanos(System.nanoTime() - started);

    assertThat(fields(disconnect)).containsExactlyInAnyOrder("type", "code", "reason", "reconnect");
    assertThat(disconnect.get("code").asInt()).isEqualTo(4001);
    assertThat(disconnect.get("reconnect").asBoolean()).isTrue();
    assertThat(client.closeStatus().code()).isEqualTo(4001);
    assertThat(waited).isBetween(CONNECT_TIMEOUT.minusMillis(100), CONNECT_TIMEOUT.plusSeconds(2));
  }

  @Test
  void connectFrameInTimeKeepsTheConnectionOpenPastTheConnectTimeout() {
    TestWebSocketClient client = track(client().open());
    result(client.request(1, Frames.connect(1, TestTokens.user(user()).token())));

    await()
        .during(CONNECT_TIMEOUT.plusMillis(500))
        .atMost(CONNECT_TIMEOUT.plusSeconds(2))
        .until(client::isOpen);

    assertThat(client.send(Frames.ping(2)).framesBefore(2)).isEmpty();
  }

  @Test
  void anonymousConnectFrameAlsoStopsTheConnectTimeout() {
    TestWebSocketClient client = track(client().open());
    result(client.request(1, Frames.connect(1)));

    await()
        .during(CONNECT_TIMEOUT.plusMillis(500))
        .atMost(CONNECT_TIMEOUT.plusSeconds(2))
        .until(client::isOpen);
  }

  @Test
  void expiringHandshakeTokenGetsDisconnectPushThenCloses4001() {
    TestWebSocketClient client =
        track(
            client()
                .bearer(TestTokens.user(user()).expiresIn(Duration.ofSeconds(2)).token())
                .open());
    result(client.request(1, Frames.ping(1)));

    JsonNode disconnect = client.push("disconnect");

    assertThat(disconnect.get("code").asInt()).isEqualTo(4001);
    assertThat(disconnect.get("reconnect").asBoolean()).isTrue();
    assertThat(client.closeStatus().code()).isEqualTo(4001);
  }

  @Test
  void expiringConnectFrameTokenGetsDisconnectPushThenCloses4001() {
    TestWebSocketClient client = track(client().open());
    JsonNode connected =
        result(
            client.request(
                1,
                Frames.connect(
                    1, TestTokens.user(user()).expiresIn(Duration.ofSeconds(2)).token())));
    assertThat(connected.get("ttl").asLong()).isBetween(1L, 2L);

    assertThat(client.push("disconnect").get("code").asInt()).isEqualTo(4001);
    assertThat(client.closeStatus().code()).isEqualTo(4001);
  }

  @Test
  void refreshBeforeExpiryKeepsTheConnectionOpen() {
    String user = user();
    Instant expiry = Instant.now().plusSeconds(2);
    TestWebSocketClient client =
        track(
            client().bearer(TestTokens.user(user).expiresIn(Duration.ofSeconds(2)).token()).open());

    JsonNode refreshed =
        result(client.request(1, Frames.refresh(1, TestTokens.user(user).token())));
    assertThat(refreshed.get("ttl").asLong()).isBetween(3590L, 3600L);

    Duration pastTheOldExpiry = Duration.between(Instant.now(), expiry).plusSeconds(1);
    await().during(pastTheOldExpiry).atMost(pastTheOldExpiry.plusSeconds(2)).until(client::isOpen);
    assertThat(client.send(Frames.ping(2)).framesBefore(2)).isEmpty();
  }

  @Test
  void refreshWithAnotherShortTokenMovesTheExpiry() {
    String user = user();
    long started = System.nanoTime();
    TestWebSocketClient client =
        track(
            client().bearer(TestTokens.user(user).expiresIn(Duration.ofSeconds(2)).token()).open());

    result(
        client.request(
            1, Frames.refresh(1, TestTokens.user(user).expiresIn(Duration.ofSeconds(4)).token())));

    assertThat(client.push("disconnect").get("code").asInt()).isEqualTo(4001);
    // Not at the first token's expiry (at most 2 s), but at the second's (3 to 4 s).
    assertThat(Duration.ofNanos(System.nanoTime() - started))
        .isGreaterThan(Duration.ofMillis(2500));
    assertThat(client.closeStatus().code()).isEqualTo(4001);
  }

  @Test
  void serverPingsAndAConnectionAnsweringThemStaysOpen() {
    TestWebSocketClient client = track(client().bearer(TestTokens.user(user()).token()).open());

    await().atMost(Duration.ofSeconds(3)).until(() -> client.pings() >= 3);
    int before = client.pings();
    await()
        .during(PING_TIMEOUT.plusMillis(500))
        .atMost(PING_TIMEOUT.plusSeconds(2))
        .until(client::isOpen);

    // Open past the ping timeout, and still pinged every 200 ms meanwhile (7 expected, 3 suffice).
    assertThat(client.pings()).isGreaterThanOrEqualTo(before + 3);
    assertThat(client.send(Frames.ping(1)).framesBefore(1)).isEmpty();
  }

  @Test
  void connectionThatNeverAnswersPingsIsClosedWith1001() {
    long started = System.nanoTime();
    TestWebSocketClient client =
        track(client().bearer(TestTokens.user(user()).token()).ignorePings().open());

    JsonNode disconnect = client.push("disconnect");
    Duration waited = Duration.ofNanos(System.nanoTime() - started);

    assertThat(disconnect.get("code").asInt()).isEqualTo(1001);
    assertThat(disconnect.get("reconnect").asBoolean()).isTrue();
    assertThat(client.closeStatus().code()).isEqualTo(1001);
    assertThat(client.pings()).isPositive();
    assertThat(waited).isBetween(PING_TIMEOUT.minusMillis(100), PING_TIMEOUT.plusSeconds(2));
  }

  private TestWebSocketClient.Builder client() {
    return TestWebSocketClient.to(port).subprotocol("herald.json");
  }

  private TestWebSocketClient track(TestWebSocketClient client) {
    clients.add(client);
    return client;
  }

  private static String user() {
    return "deadline-" + SEQUENCE.incrementAndGet() + "-" + System.nanoTime();
  }
}
