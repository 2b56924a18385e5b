package herald.protection;

import static org.assertj.core.api.Assertions.assertThat;

import herald.support.Frames;
import herald.support.TestTokens;
import herald.support.TestWebSocketClient;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.boot.webtestclient.autoconfigure.AutoConfigureWebTestClient;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.test.web.reactive.server.WebTestClient;
import tools.jackson.databind.JsonNode;

/**
 * Channels per connection and connections per user (README "Limits and protection"), over real
 * sockets, with small limits: the offender is refused, a well-behaved client on the same node is
 * not.
 */
@SpringBootTest(
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {
      "herald.auth.hmac-secret=" + TestTokens.SECRET,
      "herald.api.key=" + TestTokens.API_KEY,
      "herald.limits.max-channels-per-connection=3",
      "herald.limits.max-connections-per-user=2"
    })
@AutoConfigureWebTestClient
class ConnectionLimitsIntegrationTests {

  @LocalServerPort int port;

  @Autowired WebTestClient web;

  private final List<TestWebSocketClient> clients = new ArrayList<>();

  private TestWebSocketClient open(String user) {
    String token = TestTokens.user(user).subscribe("*").token();
    TestWebSocketClient client = TestWebSocketClient.to(port).token(token).open();
    clients.add(client);
    return client;
  }

  @AfterEach
  void close() {
    clients.forEach(TestWebSocketClient::close);
  }

  @Test
  void aConnectionCannotHoldMoreChannelsThanTheLimit() {
    TestWebSocketClient offender = open("carla");
    TestWebSocketClient neighbour = open("dmitri");
    for (int i = 1; i <= 3; i++) {
      assertThat(offender.request(i, Frames.subscribe(i, "room:" + i)).has("result")).isTrue();
    }
    JsonNode refused = offender.request(4, Frames.subscribe(4, "room:4"));
    assertThat(refused.get("error").get("code").asInt()).isEqualTo(400);
    assertThat(refused.get("error").get("message").asString()).contains("too many channels");

    assertThat(offender.request(5, Frames.unsubscribe(5, "room:1")).has("result")).isTrue();
    assertThat(offender.request(6, Frames.subscribe(6, "room:4")).has("result")).isTrue();
    assertThat(neighbour.request(1, Frames.subscribe(1, "room:1")).has("result")).isTrue();
  }

  @Test
  void aUserCannotHoldMoreConnectionsThanTheLimit() {
    open("erik");
    open("erik");
    TestWebSocketClient third = open("erik");
    third.awaitTerminated();
    assertThat(third.closeStatus().code()).isEqualTo(4029);

    String token = TestTokens.user("erik").subscribe("*").token();
    web.get()
        .uri("/sse?channel=news")
        .accept(MediaType.TEXT_EVENT_STREAM)
        .header(HttpHeaders.AUTHORIZATION, "Bearer " + token)
        .exchange()
        .expectStatus()
        .isEqualTo(429)
        .expectBody()
        .jsonPath("$.error.code")
        .isEqualTo(429);

    TestWebSocketClient other = open("fatima");
    assertThat(other.request(1, Frames.ping(1)).has("result")).isTrue();
  }
}
