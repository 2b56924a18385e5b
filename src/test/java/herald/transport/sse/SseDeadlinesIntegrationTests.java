package herald.transport.sse;

import static org.assertj.core.api.Assertions.assertThat;

import herald.support.TestApi;
import herald.support.TestIds;
import herald.support.TestSseClient;
import herald.support.TestSseClient.Event;
import herald.support.TestTokens;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.boot.webtestclient.autoconfigure.AutoConfigureWebTestClient;
import org.springframework.test.web.reactive.server.WebTestClient;
import tools.jackson.databind.JsonNode;

/**
 * What happens to an SSE stream over time: heartbeats, and the end of a token's life. Its own
 * context, with a heartbeat short enough to observe.
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
      "herald.sse.heartbeat=200ms"
    })
@AutoConfigureWebTestClient
class SseDeadlinesIntegrationTests {

  @LocalServerPort int port;

  @Autowired WebTestClient http;

  @Test
  void heartbeatCommentsKeepAnIdleStreamOpen() {
    String token = TestTokens.user("alice").subscribe("document:*").token();
    try (TestSseClient sse =
        TestSseClient.to(port).channel(TestIds.next("document:beat")).bearer(token).open()) {
      assertThat(sse.status()).isEqualTo(200);
      assertThat(sse.next().retry()).isNotNull();
      assertThat(sse.nextEvent().idOnly()).isTrue();

      for (int i = 0; i < 3; i++) {
        Event ping = sse.next(Duration.ofSeconds(2));
        assertThat(ping.isPing()).as("heartbeat %s: %s", i, ping).isTrue();
        assertThat(ping.raw()).isEqualTo(": ping\n");
      }
    }
  }

  @Test
  void heartbeatsInterleaveWithMessagesWithoutDisturbingThem() {
    String channel = TestIds.next("document:beat");
    String token = TestTokens.user("alice").subscribe("document:*").token();
    TestApi api = new TestApi(http);
    try (TestSseClient sse = TestSseClient.to(port).channel(channel).bearer(token).open()) {
      assertThat(sse.next().retry()).isNotNull();
      assertThat(sse.nextEvent().idOnly()).isTrue();
      sse.nextMatching(Event::isPing, Duration.ofSeconds(2));

      api.publish(channel, Map.of("n", 1));
      Event message = sse.nextMessage();
      assertThat(TestApi.json().readTree(message.data()).get("offset").asLong()).isEqualTo(1);
      sse.nextMatching(Event::isPing, Duration.ofSeconds(2));
    }
  }

  @Test
  void expiringTokenEndsTheStreamWithDisconnect4001() {
    String channel = TestIds.next("document:expiry");
    // exp has whole seconds: the token expires between 1 and 2 s from now.
    String token =
        TestTokens.user("alice").subscribe("document:*").expiresIn(Duration.ofSeconds(2)).token();
    TestApi api = new TestApi(http);
    try (TestSseClient sse = TestSseClient.to(port).channel(channel).bearer(token).open()) {
      assertThat(sse.status()).isEqualTo(200);
      assertThat(sse.next().retry()).isNotNull();
      assertThat(sse.nextEvent().idOnly()).isTrue();
      api.publish(channel, Map.of("n", 1));
      assertThat(sse.nextMessage().data()).contains("\"offset\":1");

      Event disconnect = sse.nextEvent(Duration.ofSeconds(5));
      assertThat(disconnect.event()).as("event %s", disconnect).isEqualTo("disconnect");
      JsonNode data = TestApi.json().readTree(disconnect.data());
      assertThat(data.get("code").asInt()).isEqualTo(4001);
      assertThat(data.get("reason").asString()).isNotBlank();
      assertThat(data.get("reconnect").asBoolean())
          .as("4001: reconnect with a fresh token")
          .isTrue();
      sse.awaitEnd(Duration.ofSeconds(2));
    }
  }
}
