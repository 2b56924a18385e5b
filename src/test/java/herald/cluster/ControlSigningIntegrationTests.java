package herald.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import herald.support.Frames;
import herald.support.HeraldIntegrationTest;
import herald.support.RedisServerExtension;
import herald.support.TestApi;
import herald.support.TestTokens;
import herald.support.TestWebSocketClient;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.web.reactive.server.WebTestClient;

/**
 * Control messages on {@code herald:control} of a real Redis (README, Security): a client of the
 * Redis that is not a Herald node cannot order a node to disconnect anyone, whether it sends an
 * unsigned message, one signed with another key, a stale one, or replays a genuine one. A message
 * signed with the cluster's key (here derived from the HS256 secret) is obeyed, which shows the
 * forgeries would have been too.
 */
@HeraldIntegrationTest
@DirtiesContext
class ControlSigningIntegrationTests {

  @RegisterExtension static final RedisServerExtension redis = RedisServerExtension.shared();

  @LocalServerPort int port;

  @Autowired WebTestClient http;

  private RedisClient client;
  private StatefulRedisConnection<String, String> connection;
  private final List<TestWebSocketClient> sockets = new ArrayList<>();

  @DynamicPropertySource
  static void onRedis(DynamicPropertyRegistry registry) {
    redis.start();
    registry.add("herald.redis.url", redis::url);
  }

  @BeforeEach
  void connect() {
    client = RedisClient.create(redis.url());
    connection = client.connect();
  }

  @AfterEach
  void disconnect() {
    sockets.forEach(TestWebSocketClient::close);
    connection.close();
    client.shutdown();
  }

  private TestWebSocketClient open(String user) {
    TestWebSocketClient socket =
        TestWebSocketClient.to(port).token(TestTokens.user(user).subscribe("*").token()).open();
    sockets.add(socket);
    return socket;
  }

  private static String disconnectOrder(String user, long sentAt) {
    return "{\"request\":\""
        + UUID.randomUUID()
        + "\",\"replyTo\":\"intruder\",\"operation\":\"DISCONNECT\",\"user\":\""
        + user
        + "\",\"channel\":null,\"reconnect\":false,\"ts\":"
        + sentAt
        + "}";
  }

  private static String signed(SecretKeySpec key, String body) {
    byte[] signature = ControlKey.hmac(key, body.getBytes(StandardCharsets.UTF_8));
    return Base64.getUrlEncoder().withoutPadding().encodeToString(signature) + "." + body;
  }

  private static SecretKeySpec clusterKey() {
    // As ControlKey derives it from herald.auth.hmac-secret.
    SecretKeySpec secret = ControlKey.key(TestTokens.SECRET.getBytes(StandardCharsets.UTF_8));
    return ControlKey.key(
        ControlKey.hmac(secret, "herald cluster control v1".getBytes(StandardCharsets.UTF_8)));
  }

  private void publish(String message) {
    connection.sync().publish("herald:control", message);
  }

  /**
   * Redis delivers a channel's messages in publish order, so once a genuine request issued after
   * the forgeries has been answered, the node has read the forgeries too.
   */
  private void barrier() {
    TestApi.Answer answer =
        new TestApi(http).post("/api/v1/disconnect", Map.of("user", "nobody-" + UUID.randomUUID()));
    assertThat(answer.status()).as(answer.body()).isEqualTo(200);
  }

  private static void assertStillOpen(TestWebSocketClient socket, long id) {
    assertThat(socket.request(id, Frames.ping(id)).has("result")).isTrue();
  }

  @Test
  void forgedStaleAndReplayedOrdersAreDroppedAndGenuineOnesObeyed() {
    TestWebSocketClient victim = open("victim");
    long now = System.currentTimeMillis();
    SecretKeySpec otherKey =
        ControlKey.key("another-cluster-another-cluster-0123".getBytes(StandardCharsets.UTF_8));

    publish(disconnectOrder("victim", now));
    publish(signed(otherKey, disconnectOrder("victim", now)));
    publish("AAAA." + disconnectOrder("victim", now));
    publish(signed(clusterKey(), disconnectOrder("victim", now - 120_000)));
    barrier();
    assertStillOpen(victim, 1);

    String genuine = signed(clusterKey(), disconnectOrder("victim", System.currentTimeMillis()));
    publish(genuine);
    victim.awaitTerminated();

    TestWebSocketClient again = open("victim");
    publish(genuine);
    barrier();
    assertStillOpen(again, 2);
  }
}
