package herald.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;

import herald.support.Frames;
import herald.support.TestTokens;
import herald.support.TestWebSocketClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.boot.webtestclient.autoconfigure.AutoConfigureWebTestClient;
import org.springframework.core.ParameterizedTypeReference;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.http.codec.ServerSentEvent;
import org.springframework.test.web.reactive.server.WebTestClient;
import tools.jackson.databind.JsonNode;

/**
 * README "Limits and protection" rate limits over real sockets, each with its offender's treatment
 * and a well-behaved client on the same node that does not notice. Limits are small here so tests
 * stay fast; client addresses come from X-Forwarded-For (trusted here) so each test has budgets of
 * its own.
 */
@SpringBootTest(
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {
      "herald.auth.hmac-secret=" + TestTokens.SECRET,
      "herald.api.key=" + TestTokens.API_KEY,
      "herald.trust-proxy=true",
      // Slow refills (windows of 3-5 s) so that a busy machine cannot stretch a burst past its
      // window and make a request that should be refused pass.
      "herald.rate-limits.inbound-frames-per-second=1",
      "herald.rate-limits.inbound-frames-burst=5",
      "herald.rate-limits.connections-per-ip-per-second=1",
      "herald.rate-limits.connections-per-ip-burst=3",
      "herald.rate-limits.api-publishes-per-second=1",
      "herald.rate-limits.api-publishes-burst=5"
    })
@AutoConfigureWebTestClient
class RateLimitIntegrationTests {

  private static final AtomicInteger ADDRESSES = new AtomicInteger(1);
  private static final ParameterizedTypeReference<ServerSentEvent<String>> SSE =
      new ParameterizedTypeReference<>() {};

  @LocalServerPort int port;

  @Autowired WebTestClient web;

  private static String nextAddress() {
    int n = ADDRESSES.getAndIncrement();
    return "10.9." + (n / 250) + "." + (n % 250 + 1);
  }

  private WebTestClient.ResponseSpec openSse(String address, String token) {
    return web.get()
        .uri("/sse?channel=news")
        .accept(MediaType.TEXT_EVENT_STREAM)
        .header("X-Forwarded-For", address)
        .header(HttpHeaders.AUTHORIZATION, "Bearer " + token)
        .exchange();
  }

  @Test
  void newConnectionsOverThePerIpLimitAreRefusedWith429AndRetryAfter() {
    String token = TestTokens.user("ivan").subscribe("news").token();
    String offender = nextAddress();
    for (int i = 0; i < 3; i++) {
      openSse(offender, token)
          .expectStatus()
          .isOk()
          .returnResult(SSE)
          .getResponseBody()
          .filter(event -> event.id() != null)
          .take(1)
          .blockLast(Duration.ofSeconds(5));
    }
    openSse(offender, token)
        .expectStatus()
        .isEqualTo(429)
        .expectHeader()
        .valueMatches(HttpHeaders.RETRY_AFTER, "[1-9][0-9]*")
        .expectBody()
        .jsonPath("$.error.code")
        .isEqualTo(429);

    openSse(nextAddress(), token)
        .expectStatus()
        .isOk()
        .returnResult(SSE)
        .getResponseBody()
        .filter(event -> event.id() != null)
        .take(1)
        .blockLast(Duration.ofSeconds(5));
  }

  @Test
  void framesOverTheLimitGet429RepliesAndAClientThatKeepsItUpIsClosedWith4029() {
    String token = TestTokens.user("olga").subscribe("news").token();
    TestWebSocketClient offender = TestWebSocketClient.to(port).token(token).open();
    TestWebSocketClient neighbour = TestWebSocketClient.to(port).token(token).open();
    try {
      for (int id = 1; id <= 8; id++) {
        offender.send(Frames.ping(id));
      }
      List<Integer> codes = new ArrayList<>();
      for (int id = 1; id <= 8; id++) {
        JsonNode reply = offender.reply(id);
        codes.add(reply.has("error") ? reply.get("error").get("code").asInt() : 200);
      }
      assertThat(codes.subList(0, 5)).containsOnly(200);
      assertThat(codes.subList(5, 8)).containsOnly(429);

      assertThat(neighbour.request(1, Frames.ping(1)).has("result")).isTrue();

      for (int id = 100; id < 110; id++) {
        offender.send(Frames.ping(id));
      }
      offender.awaitTerminated();
      assertThat(offender.closeStatus().code()).isEqualTo(4029);
      assertThat(neighbour.request(2, Frames.ping(2)).has("result")).isTrue();
    } finally {
      offender.close();
      neighbour.close();
    }
  }

  @Test
  void apiPublishesOverTheLimitAreRefusedWith429() {
    int accepted = 0;
    int refused = 0;
    for (int i = 0; i < 30; i++) {
      var result =
          web.post()
              .uri("/api/v1/publish")
              .header("X-API-Key", TestTokens.API_KEY)
              .contentType(MediaType.APPLICATION_JSON)
              .bodyValue("{\"channel\":\"limited\",\"data\":" + i + "}")
              .exchange()
              .returnResult(String.class);
      int status = result.getStatus().value();
      if (status == 200) {
        accepted++;
      } else {
        assertThat(status).isEqualTo(429);
        assertThat(result.getResponseHeaders().getFirst(HttpHeaders.RETRY_AFTER)).isNotBlank();
        refused++;
      }
    }
    assertThat(accepted).isGreaterThanOrEqualTo(5);
    assertThat(refused).isPositive();
  }

  @Test
  void commandsOverHttpAreLimitedPerUserLikeWebSocketFrames() {
    String token = TestTokens.user("http-sender").token();
    String calm = TestTokens.user("http-calm").token();
    List<Integer> statuses = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      statuses.add(postPing(token).returnResult(byte[].class).getStatus().value());
    }

    assertThat(statuses).as("burst of 5, then refused").startsWith(200, 200, 200, 200, 200);
    assertThat(statuses.get(5)).isEqualTo(429);
    postPing(token).expectStatus().isEqualTo(429).expectHeader().exists(HttpHeaders.RETRY_AFTER);
    postPing(calm).expectStatus().isOk();
  }

  private WebTestClient.ResponseSpec postPing(String token) {
    return web.post()
        .uri("/sse/commands")
        .header(HttpHeaders.AUTHORIZATION, "Bearer " + token)
        .contentType(MediaType.APPLICATION_JSON)
        .bodyValue("{\"id\":1,\"op\":\"ping\"}")
        .exchange();
  }
}
