package herald.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import herald.support.Frames;
import herald.support.Prometheus;
import herald.support.TestIds;
import herald.support.TestTokens;
import herald.support.TestWebSocketClient;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.boot.webtestclient.autoconfigure.AutoConfigureWebTestClient;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.web.reactive.server.WebTestClient;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Publish proxies, {@code rpc} and publication schemas (README "Backend integration") on a real
 * node, with a real backend ({@link BackendStub}) on another socket: over WebSocket and over {@code
 * POST /sse/commands}.
 */
@SpringBootTest(
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {
      "herald.auth.hmac-secret=" + TestTokens.SECRET,
      "herald.api.key=" + TestTokens.API_KEY,
      "herald.proxy.timeout=1s",
      "herald.proxy.max-answer-size=1KB",
      "herald.proxy.headers.authorization=Bearer backend-secret",
      "herald.namespaces.plain.client-publish=true",
      "herald.namespaces.proxied.client-publish=true",
      "herald.namespaces.slow.client-publish=true",
      "herald.namespaces.failing.client-publish=true",
      "herald.namespaces.garbled.client-publish=true",
      "herald.namespaces.huge.client-publish=true",
      "herald.namespaces.broken.client-publish=true",
      "herald.namespaces.typed.client-publish=true",
      "herald.namespaces.typed.schema=classpath:schemas/chat-message.json"
    })
@AutoConfigureWebTestClient
class BackendProxyIntegrationTests {

  private static final BackendStub backend = new BackendStub();

  @DynamicPropertySource
  static void backendUrls(DynamicPropertyRegistry registry) {
    registry.add("herald.proxy.rpc", () -> backend.url() + "/rpc");
    for (String[] route :
        new String[][] {
          {"proxied", "publish"},
          {"slow", "slow"},
          {"failing", "fail"},
          {"garbled", "malformed"},
          {"huge", "huge"},
          {"broken", "broken"}
        }) {
      registry.add(
          "herald.namespaces." + route[0] + ".publish-proxy", () -> backend.url() + "/" + route[1]);
    }
  }

  @AfterAll
  static void stopBackend() {
    backend.close();
  }

  @LocalServerPort int port;

  @Autowired WebTestClient http;

  private final JsonMapper json = JsonMapper.shared();
  private final String token = TestTokens.user("alice").subscribe("*").publish("*").token();
  private String run;

  @BeforeEach
  void setUp() {
    run = TestIds.next("proxy");
  }

  // ------------------------------------------------------------------ publish proxy

  @Test
  void anAcceptedPublicationIsPublishedAsSentAndTheBackendSeesWhoSentIt() {
    String channel = "proxied:" + run;
    try (TestWebSocketClient ws = open()) {
      String client = ws.request(1, Frames.connect(1)).path("result").path("client").asString();
      ws.request(2, Frames.subscribe(2, channel));

      JsonNode reply = ws.request(3, Frames.publish(3, channel, Map.of("text", "hi")));

      assertThat(reply.path("result").path("offset").asLong()).isEqualTo(1);
      assertThat(ws.push("message").path("data").path("text").asString()).isEqualTo("hi");
      BackendStub.Received call = backend.receivedWith("channel", channel).get(0);
      assertThat(call.path()).isEqualTo("publish");
      assertThat(call.authorization()).isEqualTo("Bearer backend-secret");
      assertThat(call.body().path("data").path("text").asString()).isEqualTo("hi");
      assertThat(call.body().path("user").asString()).isEqualTo("alice");
      assertThat(call.body().path("client").asString()).isEqualTo(client);
      assertThat(call.user()).isEqualTo("alice");
      assertThat(call.client()).isEqualTo(client);
    }
  }

  @Test
  void aRewrittenPublicationIsPublishedWithTheBackendsData() {
    String channel = "proxied:" + run;
    try (TestWebSocketClient ws = open()) {
      ws.request(1, Frames.subscribe(1, channel));

      JsonNode reply =
          ws.request(2, Frames.publish(2, channel, Map.of("action", "rewrite", "text", "hi")));

      assertThat(reply.path("result").path("offset").asLong()).isEqualTo(1);
      JsonNode data = ws.push("message").path("data");
      assertThat(data.path("text").asString()).isEqualTo("rewritten: hi");
      assertThat(data.has("action")).isFalse();
    }
  }

  @Test
  void aRefusedPublicationGetsTheBackendsErrorAndNothingIsPublished() {
    String channel = "proxied:" + run;
    try (TestWebSocketClient ws = open()) {
      JsonNode refused = ws.request(1, Frames.publish(1, channel, Map.of("action", "reject")));

      assertError(refused, 403, "not in this room");
      assertNothingPublished(ws, channel);
    }
  }

  @Test
  void noAnswerWithinTheTimeoutIs504AndNothingIsPublished() {
    String channel = "slow:" + run;
    try (TestWebSocketClient ws = open()) {
      JsonNode reply = ws.request(1, Frames.publish(1, channel, "x"));

      assertError(reply, 504, "did not answer within 1000 ms");
      assertNothingPublished(ws, channel);
    }
  }

  @Test
  void aBackendThatFailsOrAnswersGarbageIs502AndNothingIsPublished() {
    try (TestWebSocketClient ws = open()) {
      assertError(
          ws.request(1, Frames.publish(1, "failing:" + run, "x")), 502, "answered HTTP 500");
      assertError(
          ws.request(2, Frames.publish(2, "garbled:" + run, "x")),
          502,
          "\"result\" must be an object");
      assertError(
          ws.request(3, Frames.publish(3, "huge:" + run, "x")), 502, "larger than 1024 bytes");
      assertNothingPublished(ws, "failing:" + run);
      assertNothingPublished(ws, "garbled:" + run);
      assertNothingPublished(ws, "huge:" + run);
    }
  }

  @Test
  void afterRepeatedFailuresTheCircuitOpensAndCallsFailFastWithoutReachingTheBackend() {
    try (TestWebSocketClient ws = open()) {
      long id = 1;
      // The breaker opens once 5 calls were recorded and half of them failed.
      for (int i = 0; i < 5; i++, id++) {
        assertError(ws.request(id, Frames.publish(id, "broken:" + run, i)), 502, "HTTP 500");
      }
      int calls = backend.brokenCalls();

      JsonNode refused = ws.request(id, Frames.publish(id, "broken:" + run, "x"));

      assertError(refused, 503, "circuit breaker is open");
      assertThat(backend.brokenCalls()).isEqualTo(calls);
      assertNothingPublished(ws, "broken:" + run);
    }
    assertThat(
            Prometheus.scrape(http)
                .value(
                    "herald_proxy_circuit_breaker_state{name=\"broken.publish-proxy\",state=\"open\"}"))
        .isEqualTo(1.0);
  }

  // ------------------------------------------------------------------ rpc

  @Test
  void rpcAnswersWithTheBackendsResult() {
    try (TestWebSocketClient ws = open()) {
      String client = ws.request(1, Frames.connect(1)).path("result").path("client").asString();

      JsonNode reply = ws.request(2, rpc(2, "echo", Map.of("marker", run)));

      assertThat(reply.path("result").path("echo").path("marker").asString()).isEqualTo(run);
      BackendStub.Received call =
          backend.received().stream()
              .filter(r -> run.equals(r.body().path("data").path("marker").asString("")))
              .findFirst()
              .orElseThrow();
      assertThat(call.path()).isEqualTo("rpc");
      assertThat(call.authorization()).isEqualTo("Bearer backend-secret");
      assertThat(call.body().path("method").asString()).isEqualTo("echo");
      assertThat(call.body().path("user").asString()).isEqualTo("alice");
      assertThat(call.body().path("client").asString()).isEqualTo(client);
      assertThat(call.user()).isEqualTo("alice");
      assertThat(call.client()).isEqualTo(client);
    }
  }

  @Test
  void rpcWorksOnMessagePackToo() {
    try (TestWebSocketClient ws =
        TestWebSocketClient.to(port).bearer(token).codec("herald.msgpack").open()) {
      JsonNode reply = ws.request(1, rpc(1, "echo", Map.of("n", 7)));
      assertThat(reply.path("result").path("echo").path("n").asInt()).isEqualTo(7);
      assertError(ws.request(2, rpc(2, "refuse", 0)), 422, "amount must be positive");
    }
  }

  @Test
  void rpcAnswersWithTheBackendsErrorAndItsCode() {
    try (TestWebSocketClient ws = open()) {
      assertError(ws.request(1, rpc(1, "refuse", 0)), 422, "amount must be positive");
    }
  }

  @Test
  void rpcWithoutAnAnswerWithinTheTimeoutIs504() {
    try (TestWebSocketClient ws = open()) {
      assertError(ws.request(1, rpc(1, "sleep", null)), 504, "did not answer");
    }
  }

  @Test
  void whileAnRpcIsPendingASecondIsRefusedAndOtherCommandsGoOn() {
    String key = run;
    try (TestWebSocketClient ws = open()) {
      ws.send(rpc(1, "hold:" + key, null));
      ws.send(rpc(2, "echo", 1));
      ws.send(Frames.publish(3, "plain:" + run, "meanwhile"));
      ws.send(Frames.ping(4));

      // Everything after the pending rpc was answered, in order, while it still waits.
      List<JsonNode> before = ws.framesBefore(4);
      assertThat(before).extracting(frame -> frame.path("id").asLong()).containsExactly(2L, 3L);
      assertError(before.get(0), 429, "too many calls waiting");
      assertThat(before.get(1).path("result").path("offset").asLong()).isEqualTo(1);

      backend.release(key);
      assertThat(ws.reply(1).path("result").path("released").asString()).isEqualTo(key);
      // The slot is free again.
      assertThat(ws.request(5, rpc(5, "echo", 2)).path("result").path("echo").asInt()).isEqualTo(2);
    }
  }

  @Test
  void rpcAndProxiedPublishesWorkOverSseCommands() {
    JsonNode result = post(Map.of("id", 1, "op", "rpc", "method", "echo", "data", run));
    assertThat(result.path("result").path("echo").asString()).isEqualTo(run);
    BackendStub.Received call =
        backend.received().stream()
            .filter(r -> run.equals(r.body().path("data").asString("")))
            .findFirst()
            .orElseThrow();
    assertThat(call.body().path("client").isNull()).isTrue();
    assertThat(call.user()).isEqualTo("alice");

    JsonNode published =
        post(Map.of("id", 2, "op", "publish", "channel", "proxied:" + run, "data", "ok"));
    assertThat(published.path("result").path("offset").asLong()).isEqualTo(1);

    exchange(
            Map.of(
                "id",
                3,
                "op",
                "publish",
                "channel",
                "proxied:" + run,
                "data",
                Map.of("action", "reject")))
        .expectStatus()
        .isForbidden()
        .expectBody()
        .jsonPath("$.error.message")
        .isEqualTo("not in this room");
    exchange(Map.of("id", 4, "op", "rpc", "method", "refuse"))
        .expectStatus()
        .isEqualTo(422)
        .expectBody()
        .jsonPath("$.error.code")
        .isEqualTo(422);
  }

  // ------------------------------------------------------------------ schema

  @Test
  void aPublicationMatchingTheNamespacesSchemaIsPublished() {
    try (TestWebSocketClient ws = open()) {
      JsonNode reply =
          ws.request(
              1,
              Frames.publish(
                  1, "typed:" + run, Map.of("text", "hello", "mentions", List.of("bob"))));

      assertThat(reply.path("result").path("offset").asLong()).isEqualTo(1);
    }
  }

  @Test
  void aPublicationNotMatchingTheSchemaIs400NamingTheLocationAndNothingIsPublished() {
    String channel = "typed:" + run;
    try (TestWebSocketClient ws = open()) {
      JsonNode reply =
          ws.request(
              1, Frames.publish(1, channel, Map.of("text", "hi", "reply", Map.of("offset", 0))));

      assertError(reply, 400, "at \"/reply/offset\"");
      assertNothingPublished(ws, channel);
    }
    exchange(Map.of("id", 1, "op", "publish", "channel", channel, "data", Map.of("text", 5)))
        .expectStatus()
        .isBadRequest()
        .expectBody()
        .jsonPath("$.error.message")
        .value(message -> assertThat((String) message).contains("at \"/text\""));
  }

  // ------------------------------------------------------------------ helpers

  private TestWebSocketClient open() {
    return TestWebSocketClient.to(port).bearer(token).open();
  }

  private static String rpc(long id, String method, Object data) {
    Map<String, Object> frame = new java.util.LinkedHashMap<>();
    frame.put("id", id);
    frame.put("op", "rpc");
    frame.put("method", method);
    if (data != null) {
      frame.put("data", data);
    }
    return JsonMapper.shared().writeValueAsString(frame);
  }

  private static void assertError(JsonNode reply, int code, String message) {
    assertThat(reply.path("error").path("code").asInt()).as("reply %s", reply).isEqualTo(code);
    assertThat(reply.path("error").path("message").asString()).contains(message);
  }

  /** The channel's history is empty: the refused publication was never published. */
  private static void assertNothingPublished(TestWebSocketClient ws, String channel) {
    long id = 900 + Math.abs(channel.hashCode() % 99);
    JsonNode history = ws.request(id, Frames.history(id, channel));
    assertThat(history.path("result").path("publications")).as("history of %s", channel).isEmpty();
    assertThat(history.path("result").path("offset").asLong()).isZero();
  }

  private JsonNode post(Map<String, Object> frame) {
    byte[] body =
        exchange(frame).expectStatus().isOk().expectBody().returnResult().getResponseBody();
    return json.readTree(body);
  }

  private WebTestClient.ResponseSpec exchange(Map<String, Object> frame) {
    return http.post()
        .uri("/sse/commands")
        .header(HttpHeaders.AUTHORIZATION, "Bearer " + token)
        .contentType(MediaType.APPLICATION_JSON)
        .bodyValue(frame)
        .exchange();
  }
}
