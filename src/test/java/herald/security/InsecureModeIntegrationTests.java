package herald.security;

import static org.assertj.core.api.Assertions.assertThat;

import herald.support.Frames;
import herald.support.TestApi;
import herald.support.TestIds;
import herald.support.TestSseClient;
import herald.support.TestTokens;
import herald.support.TestWebSocketClient;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.boot.webtestclient.autoconfigure.AutoConfigureWebTestClient;
import org.springframework.test.web.reactive.server.WebTestClient;
import tools.jackson.databind.JsonNode;

/**
 * A node in insecure development mode, asked for explicitly ({@code herald.auth.insecure}):
 * tokenless clients may do anything, a client that presents a token becomes that token's user, and
 * the node says so in {@code /api/v1/info}.
 */
@SpringBootTest(
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {"herald.auth.insecure=true", "herald.api.key=" + TestTokens.API_KEY})
@AutoConfigureWebTestClient
class InsecureModeIntegrationTests {

  @LocalServerPort int port;

  @Autowired WebTestClient http;

  @Test
  void infoSaysTheNodeIsInsecure() {
    JsonNode info = new TestApi(http).get("/api/v1/info").json();
    assertThat(info.get("insecure").asBoolean()).as("info %s", info).isTrue();
  }

  @Test
  void aTokenlessWebSocketMaySubscribeAndPublishAnywhere() {
    String channel = TestIds.next("anything:insecure");
    try (TestWebSocketClient ws = TestWebSocketClient.to(port).connect()) {
      assertThat(ws.request(1, Frames.subscribe(1, channel)).has("result")).isTrue();
      assertThat(ws.request(2, Frames.publish(2, channel, Map.of("n", 1))).has("result")).isTrue();
      assertThat(ws.push("message").get("data").get("n").asInt()).isEqualTo(1);
    }
  }

  @Test
  void aTokenlessSseStreamMaySubscribeAnywhere() {
    String channel = TestIds.next("anything:insecure");
    try (TestSseClient sse = TestSseClient.to(port).channel(channel).openSubscribed()) {
      new TestApi(http).publish(channel, Map.of("n", 1));
      assertThat(sse.nextMessage().data()).contains(channel);
    }
  }

  @Test
  void aConnectFrameWithATokenMakesTheConnectionThatUsers() {
    String user = TestIds.next("bob");
    String token = TestTokens.user(user).subscribe("document:*").token();
    try (TestWebSocketClient ws = TestWebSocketClient.to(port).connect()) {
      JsonNode connected = ws.request(1, Frames.connect(1, token));
      assertThat(connected.has("result")).as("connect reply %s", connected).isTrue();

      JsonNode answer =
          new TestApi(http)
              .post("/api/v1/disconnect", Map.of("user", user, "reconnect", false))
              .json();
      assertThat(answer.get("connections").asInt())
          .as("the connection is indexed under the token's user")
          .isEqualTo(1);
      ws.awaitTerminated();
      assertThat(ws.closeStatus().code()).isEqualTo(4003);
    }
  }
}
