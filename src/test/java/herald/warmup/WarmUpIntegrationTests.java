package herald.warmup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;
import static org.awaitility.Awaitility.await;

import herald.registry.ChannelRegistry;
import herald.support.RawHttp;
import herald.support.TestTokens;
import herald.support.TestWebSocketClient;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.boot.webtestclient.autoconfigure.AutoConfigureWebTestClient;
import org.springframework.test.web.reactive.server.WebTestClient;

/**
 * The warm-up with HS256 tokens (README, "Warm-up"): its connections and SSE streams, all from
 * loopback, pass the cap of two open connections per IP thanks to its pass; its tokens carry the
 * issuer and audience the node requires; every connection gets every publication; nothing is left
 * behind; and once it is over, loopback is limited like any other address.
 */
@SpringBootTest(
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {
      "herald.auth.hmac-secret=" + TestTokens.SECRET,
      "herald.auth.issuer=https://issuer.example",
      "herald.auth.audience=herald",
      "herald.warm-up.connections=60",
      "herald.warm-up.publications=7",
      "herald.limits.connections-per-ip=2"
    })
@AutoConfigureWebTestClient
class WarmUpIntegrationTests {

  private static final Duration WAIT = Duration.ofSeconds(30);

  @Autowired SelfWarmUp warmUp;
  @Autowired WarmUpPass pass;
  @Autowired ChannelRegistry registry;
  @Autowired WebTestClient http;
  @LocalServerPort int port;

  @Test
  void everyConnectionGetsEveryPublicationThenTheNodeIsReadyWithNothingLeftBehind() {
    await().atMost(WAIT).until(() -> warmUp.status().over());

    assertThat(warmUp.status().details())
        .containsEntry("state", "done")
        .containsEntry("connections", 60)
        .containsEntry("sseStreams", 6L)
        .containsEntry("deliveries", 420L);
    http.get().uri("/actuator/health/readiness").exchange().expectStatus().isOk();
    await()
        .atMost(WAIT)
        .until(() -> registry.subscriptionCount() == 0 && registry.channelCount() == 0);
  }

  @Test
  void onceItIsOverLoopbackIsLimitedAgainWhateverItSends() throws Exception {
    await().atMost(WAIT).until(() -> warmUp.status().over());
    assertThatIllegalStateException().isThrownBy(pass::value);

    try (TestWebSocketClient first = connect().awaitOpen();
        TestWebSocketClient second = connect().awaitOpen();
        TestWebSocketClient third = connect()) {
      assertThat(third.handshakeStatus()).isEqualTo(429);
      String stream =
          RawHttp.get(
              port,
              "/sse?channel=news",
              "Authorization: Bearer "
                  + TestTokens.user("ann")
                      .subscribe("news")
                      .issuer("https://issuer.example")
                      .audience("herald")
                      .token()
                  + "\r\n"
                  + WarmUpPass.HEADER
                  + ": a-guess\r\n");
      assertThat(RawHttp.exchange(port, stream).status()).isEqualTo(429);
    }
  }

  private TestWebSocketClient connect() {
    return TestWebSocketClient.to(port)
        .bearer(
            TestTokens.user("ann")
                .subscribe("news")
                .issuer("https://issuer.example")
                .audience("herald")
                .token())
        .header(WarmUpPass.HEADER, "a-guess")
        .connect();
  }
}
