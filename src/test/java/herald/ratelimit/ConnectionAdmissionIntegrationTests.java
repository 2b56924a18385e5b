package herald.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import herald.support.Frames;
import herald.support.RawHttp;
import herald.support.TestSseClient;
import herald.support.TestTokens;
import herald.support.TestWebSocketClient;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import tools.jackson.databind.JsonNode;

/**
 * Admission of new connections over real sockets (README, Limits and protection): the per-IP rate
 * holds for every spelling of the endpoints the router accepts, and open connections are capped per
 * client address (429) and per node (503), before the SSE stream starts or the WebSocket upgrades.
 * Client addresses come from X-Forwarded-For (trusted here), so each test has its own.
 */
@SpringBootTest(
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {
      "herald.auth.hmac-secret=" + TestTokens.SECRET,
      "herald.api.key=" + TestTokens.API_KEY,
      "herald.trust-proxy=true",
      // A 10 s window: no refill can slip between a test's requests on a busy machine.
      "herald.rate-limits.connections-per-ip-per-second=1",
      "herald.rate-limits.connections-per-ip-burst=10",
      "herald.limits.connections-per-ip=2",
      "herald.limits.connections-per-node=5"
    })
class ConnectionAdmissionIntegrationTests {

  private static final AtomicInteger ADDRESSES = new AtomicInteger(1);
  private static final int BURST = 10;

  @LocalServerPort int port;

  @Autowired ConnectionSlots slots;

  private final List<AutoCloseable> opened = new ArrayList<>();

  private static String nextAddress() {
    int n = ADDRESSES.getAndIncrement();
    return "10.7." + (n / 250) + "." + (n % 250 + 1);
  }

  @AfterEach
  void closeEverything() throws Exception {
    for (AutoCloseable client : opened) {
      client.close();
    }
    await().atMost(Duration.ofSeconds(10)).until(() -> slots.open() == 0);
  }

  private RawHttp.Response raw(String target, String address) throws IOException {
    return RawHttp.exchange(
        port, RawHttp.get(port, target, "X-Forwarded-For: " + address + "\r\n"));
  }

  private TestSseClient sse(String address) {
    TestSseClient client =
        TestSseClient.to(port)
            .channel("news")
            .bearer(TestTokens.user("ana").subscribe("news").token())
            .header("X-Forwarded-For", address)
            .open();
    opened.add(client);
    return client;
  }

  private TestWebSocketClient webSocket(String address) {
    TestWebSocketClient client =
        TestWebSocketClient.to(port)
            .bearer(TestTokens.user("ben").subscribe("news").token())
            .header("X-Forwarded-For", address)
            .connect();
    opened.add(client);
    return client;
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "/sse?channel=news",
        "/s%73e?channel=news",
        "/%73%73%65?channel=news",
        "/sse;x=1?channel=news",
        "/ws",
        "/ws;x",
        "/w%73",
        "/%77s;jsessionid=1"
      })
  void everySpellingOfTheEndpointsThatReachesAHandlerTakesAPermit(String target)
      throws IOException {
    String address = nextAddress();
    for (int i = 0; i < BURST; i++) {
      RawHttp.Response served = raw(target, address);
      // Served by the handler (no token: 401 for SSE; no upgrade headers: 400 for WebSocket).
      assertThat(served.status()).as("%s: %s", target, served.head()).isIn(400, 401);
      // The refused request's slot is freed once its exchange is over, which may be a moment after
      // the client has the answer; this test is about the rate, not the cap of 2 open connections.
      await().atMost(Duration.ofSeconds(5)).until(() -> slots.openFrom(address) == 0);
    }
    RawHttp.Response refused = raw("/sse?channel=news", address);
    assertThat(refused.status()).as(refused.head()).isEqualTo(429);
    assertThat(refused.header("Retry-After")).matches("[1-9][0-9]*");
  }

  @Test
  void otherPathsTakeNoPermit() throws IOException {
    String address = nextAddress();
    for (int i = 0; i < BURST + 5; i++) {
      assertThat(raw("/ssex", address).status()).isEqualTo(404);
      assertThat(raw("/api/v1/info", address).status()).isEqualTo(401);
    }
    assertThat(raw("/sse?channel=news", address).status()).isEqualTo(401);
  }

  @Test
  void openSseStreamsPerAddressAreCappedAndAClosedOneFreesItsPlace() {
    String crowded = nextAddress();
    TestSseClient first = sse(crowded);
    assertThat(first.status()).isEqualTo(200);
    assertThat(sse(crowded).status()).isEqualTo(200);

    TestSseClient third = sse(crowded);
    assertThat(third.status()).isEqualTo(429);
    assertThat(third.headers().get("Retry-After")).matches("[1-9][0-9]*");
    assertThat(third.body()).contains("too many connections from this address");
    assertThat(sse(nextAddress()).status()).as("another address").isEqualTo(200);

    first.close();
    await().atMost(Duration.ofSeconds(5)).until(() -> slots.openFrom(crowded) == 1);
    assertThat(sse(crowded).status()).isEqualTo(200);
  }

  @Test
  void openWebSocketsPerAddressAreCappedAtTheHandshakeAndAClosedOneFreesItsPlace() {
    String crowded = nextAddress();
    TestWebSocketClient first = webSocket(crowded).awaitOpen();
    webSocket(crowded).awaitOpen();

    assertThat(webSocket(crowded).handshakeStatus()).isEqualTo(429);
    webSocket(nextAddress()).awaitOpen();
    // An upgraded connection keeps its place after its handshake exchange is over.
    assertThat(slots.openFrom(crowded)).isEqualTo(2);

    first.close();
    await().atMost(Duration.ofSeconds(5)).until(() -> slots.openFrom(crowded) == 1);
    webSocket(crowded).awaitOpen();
  }

  @Test
  void aFullNodeRefusesNewConnectionsWith503() {
    for (int i = 0; i < 5; i++) {
      String address = nextAddress();
      if (i % 2 == 0) {
        assertThat(sse(address).status()).isEqualTo(200);
      } else {
        webSocket(address).awaitOpen();
      }
    }
    TestSseClient refused = sse(nextAddress());
    assertThat(refused.status()).isEqualTo(503);
    assertThat(refused.headers().get("Retry-After")).matches("[1-9][0-9]*");
    assertThat(webSocket(nextAddress()).handshakeStatus()).isEqualTo(503);
    assertThat(slots.open()).isEqualTo(5);
  }

  @Test
  void aConnectFrameWithoutATokenIsRefusedWhenNoNamespaceIsAnonymous() {
    TestWebSocketClient client =
        TestWebSocketClient.to(port).header("X-Forwarded-For", nextAddress()).open();
    opened.add(client);
    JsonNode refused = client.request(1, Frames.connect(1));
    assertThat(refused.get("error").get("code").asInt()).isEqualTo(401);
    client.awaitTerminated();
    assertThat(client.closeStatus().code()).isEqualTo(4001);

    RawHttp.Response sse;
    try {
      sse = raw("/sse?channel=news", nextAddress());
    } catch (IOException e) {
      throw new AssertionError(e);
    }
    assertThat(sse.status()).isEqualTo(401);
    assertThat(sse.body()).contains("a token is required");
  }
}
