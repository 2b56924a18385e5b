package herald.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import herald.support.HeraldIntegrationTest;
import herald.support.TestApi;
import herald.support.TestApi.Answer;
import herald.support.TestIds;
import herald.support.TestSseClient;
import herald.support.TestTokens;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.TestPropertySource;
import org.springframework.test.web.reactive.server.WebTestClient;
import tools.jackson.databind.JsonNode;

/**
 * {@code idempotencyKey} on {@code POST /api/v1/publish} and {@code /broadcast} on the in-memory
 * engine, with a window of one second (the same node as {@link
 * ServerSideSubscribeIntegrationTests}).
 */
@HeraldIntegrationTest
@TestPropertySource(
    properties = {
      "herald.limits.max-channels-per-connection=" + ServerSideSubscribeIntegrationTests.LIMIT,
      "herald.api.idempotency-window=1s"
    })
class IdempotentPublishIntegrationTests {

  @LocalServerPort int port;

  @Autowired WebTestClient http;

  private TestApi api() {
    return new TestApi(http);
  }

  private static JsonNode ok(Answer answer) {
    assertThat(answer.status()).as("answer %s", answer.body()).isEqualTo(200);
    return answer.json();
  }

  private Answer publish(String channel, Object data, String key) {
    return api()
        .post("/api/v1/publish", Map.of("channel", channel, "data", data, "idempotencyKey", key));
  }

  private TestSseClient subscriber(String channel) {
    String token = TestTokens.user(TestIds.next("reader")).subscribe("*").token();
    return TestSseClient.to(port).channel(channel).bearer(token).openSubscribed();
  }

  @Test
  void aRepeatPublishesNothingAndAnswersTheFirstResult() {
    String channel = TestIds.next("orders:");
    try (TestSseClient sse = subscriber(channel)) {
      JsonNode first = ok(publish(channel, "paid", "order-17-paid"));
      JsonNode repeat = ok(publish(channel, "paid again", "order-17-paid"));
      api().publish(channel, "sentinel");

      assertThat(repeat).isEqualTo(first);
      assertThat(sse.nextMessage().data()).contains("\"paid\"");
      assertThat(sse.nextMessage().data()).as("the repeat was not published").contains("sentinel");
    }
  }

  @Test
  void aBroadcastRepeatAnswersEachChannelsFirstResultAndPublishesOnlyNewChannels() {
    String one = TestIds.next("orders:");
    String two = TestIds.next("orders:");
    JsonNode first =
        ok(
            api()
                .post(
                    "/api/v1/broadcast",
                    Map.of("channels", List.of(one), "data", 1, "idempotencyKey", "b-1")));
    JsonNode again =
        ok(
            api()
                .post(
                    "/api/v1/broadcast",
                    Map.of("channels", List.of(one, two), "data", 1, "idempotencyKey", "b-1")));

    assertThat(again.get("results").get(0)).isEqualTo(first.get("results").get(0));
    assertThat(again.get("results").get(1).get("channel").asString()).isEqualTo(two);
    assertThat(again.get("results").get(1).get("offset").asLong()).isEqualTo(1);
    assertThat(api().publish(one, "next").get("offset").asLong()).isEqualTo(2);
  }

  @Test
  void theSameKeyOnAnotherChannelPublishes() {
    String one = TestIds.next("orders:");
    String two = TestIds.next("orders:");
    api().publish(two, "first");
    ok(publish(one, 1, "k"));
    assertThat(ok(publish(two, 1, "k")).get("offset").asLong()).isEqualTo(2);
  }

  @Test
  void aRepeatAfterTheWindowPublishesAgain() {
    String channel = TestIds.next("orders:");
    JsonNode first = ok(publish(channel, 1, "late"));
    // Every attempt within the window answers the first result; the first one after it publishes.
    JsonNode[] again = new JsonNode[1];
    await()
        .atMost(Duration.ofSeconds(5))
        .pollInterval(Duration.ofMillis(100))
        .until(
            () -> {
              again[0] = ok(publish(channel, 1, "late"));
              return !again[0].equals(first);
            });
    assertThat(again[0].get("offset").asLong()).isEqualTo(2);
  }

  @Test
  void aKeyOfUpTo64CharactersIsAcceptedAndALongerOrEmptyOneRefusedWith400() {
    String channel = TestIds.next("orders:");
    ok(publish(channel, 1, "k".repeat(64)));
    publish(channel, 1, "k".repeat(65)).assertError(400);
    publish(channel, 1, "").assertError(400);
    api()
        .post("/api/v1/publish", Map.of("channel", channel, "data", 1, "idempotencyKey", 7))
        .assertError(400);
    api()
        .post(
            "/api/v1/broadcast",
            Map.of("channels", List.of(channel), "data", 1, "idempotencyKey", "k".repeat(65)))
        .assertError(400);
    assertThat(api().publish(channel, "next").get("offset").asLong())
        .as("nothing refused was published")
        .isEqualTo(2);
  }
}
