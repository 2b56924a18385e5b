package herald.protection;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import herald.support.Frames;
import herald.support.RawWebSocket;
import herald.support.TestApi;
import herald.support.TestIds;
import herald.support.TestTokens;
import herald.support.TestWebSocketClient;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.boot.webtestclient.autoconfigure.AutoConfigureWebTestClient;
import org.springframework.test.web.reactive.server.WebTestClient;
import tools.jackson.databind.JsonNode;

/**
 * README "Limits and protection" over WebSocket: each connection's outbound queue is bounded; a
 * client that stops reading is closed with 4008 and released, while another subscriber of the same
 * channel receives every publication, in order, with no gap.
 *
 * <p>The slow client ("sloth") is a plain socket with a small receive buffer that stops reading
 * after its subscribe reply, so TCP back-pressure really reaches the node. The queue is set to 50
 * messages, so that a few megabytes of 16 KiB publications fill it.
 */
@SpringBootTest(
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {
      "herald.auth.hmac-secret=" + TestTokens.SECRET,
      "herald.api.key=" + TestTokens.API_KEY,
      "herald.limits.outbound-queue=" + WebSocketSlowConsumerIntegrationTests.QUEUE
    })
@AutoConfigureWebTestClient
class WebSocketSlowConsumerIntegrationTests {

  static final int QUEUE = 50;

  private static final int DATA_SIZE = 16 * 1024;

  /**
   * Publications per broadcast call: half what the queue holds, so that a burst never fills the
   * queue of a client that does read.
   */
  private static final int BATCH = QUEUE / 2;

  /** 2,000 publications of 16 KiB: 32 MiB, far more than the kernel and Netty buffer. */
  private static final int PUBLICATIONS = 2_000;

  private static final Duration RELEASE_TIMEOUT = Duration.ofSeconds(10);

  @LocalServerPort int port;

  @Autowired WebTestClient http;

  private TestApi api;
  private String channel;
  private int connectionsBefore;
  private TestWebSocketClient reader;
  private RawWebSocket sloth;

  @BeforeEach
  void readerAndSlothSubscribe() throws IOException {
    api = new TestApi(http);
    channel = TestIds.next("document:slow");
    connectionsBefore = connections();
    reader =
        TestWebSocketClient.to(port)
            .subprotocol("herald.json")
            .bearer(TestTokens.user(TestIds.next("reader")).subscribe("document:*").token())
            .open();
    sloth =
        RawWebSocket.open(
            port, TestTokens.user(TestIds.next("sloth")).subscribe("document:*").token(), 8 * 1024);
    assertThat(reader.request(1, Frames.subscribe(1, channel)).has("result")).isTrue();
    sloth.sendText(Frames.subscribe(1, channel));
    assertThat(sloth.readFrame().text()).as("the sloth's subscribe reply").contains("\"result\"");
    // From here on the sloth reads nothing unless a test says so.
    assertThat(subscribers()).isEqualTo(2);
    assertThat(connections()).isEqualTo(connectionsBefore + 2);
  }

  @AfterEach
  void closeBoth() throws IOException {
    reader.close();
    sloth.close();
    await()
        .atMost(RELEASE_TIMEOUT)
        .alias("every connection of the test is released")
        .until(() -> connections() == connectionsBefore);
  }

  @Test
  void clientThatStopsReadingIsDroppedWhileAnotherSubscriberGetsEveryOffsetInOrder()
      throws IOException {
    List<Long> read = new ArrayList<>(PUBLICATIONS);
    for (int published = 0; published < PUBLICATIONS; published += BATCH) {
      broadcast(BATCH);
      // The reader takes each batch before the next: it reads, however busy the machine.
      read.addAll(offsetsReceivedBy(reader, BATCH));
    }

    // The reader got every publication, in order, with no gap, and is still connected.
    assertThat(read).isEqualTo(range(1, PUBLICATIONS));
    assertThat(reader.request(2, Frames.ping(2)).has("result")).isTrue();

    // The sloth is released without reading another byte: subscription, session, connection.
    await()
        .atMost(RELEASE_TIMEOUT)
        .alias("the slow consumer's subscription is released")
        .until(() -> subscribers() == 1);
    await()
        .atMost(RELEASE_TIMEOUT)
        .alias("the slow consumer's connection is released")
        .until(() -> connections() == connectionsBefore + 1);

    // Its socket holds what the kernel had taken, then ends: the node dropped the connection and
    // the backlog with it (its close frame, 4008, could not get past data the client never read).
    RawWebSocket.Remainder rest = sloth.readToEnd();
    assertThat(rest.count(RawWebSocket.TEXT))
        .as("the backlog it could not take was dropped")
        .isLessThan(PUBLICATIONS / 2);
    assertThat(rest.closeCode()).as("close code, if the close frame got through").isIn(null, 4008);

    // The reader goes on at full speed.
    assertThat(api.publish(channel, "after").get("offset").asLong()).isEqualTo(PUBLICATIONS + 1);
    assertThat(reader.push("message").get("offset").asLong()).isEqualTo(PUBLICATIONS + 1);
  }

  @Test
  void slowConsumerThatReadsAgainFindsWhatWasWrittenInOrderThenClose4008() throws IOException {
    int published = 0;
    List<Long> read = new ArrayList<>();
    while (subscribers() == 2) {
      assertThat(published)
          .as("publications before the node notices the sloth")
          .isLessThan(PUBLICATIONS);
      broadcast(BATCH);
      published += BATCH;
      read.addAll(offsetsReceivedBy(reader, BATCH));
    }
    assertThat(connections()).isEqualTo(connectionsBefore + 1);

    // It reads again at once, within the grace the node gives its close frame.
    RawWebSocket.Remainder rest = sloth.readToEnd();

    assertThat(rest.closeCode()).as("the last frame: close 4008").isEqualTo(4008);
    List<Long> offsets = new ArrayList<>();
    for (RawWebSocket.Frame frame : rest.frames().subList(0, rest.frames().size() - 1)) {
      assertThat(frame.opcode()).as("frames before the close").isEqualTo(RawWebSocket.TEXT);
      offsets.add(TestApi.json().readTree(frame.text()).get("offset").asLong());
    }
    assertThat(offsets)
        .as("what it got is the start of the stream, with no gap, and not the whole backlog")
        .isEqualTo(range(1, offsets.size()))
        .hasSizeLessThan(published);
    assertThat(read).isEqualTo(range(1, published));
  }

  private void broadcast(int count) {
    Map<String, Object> body =
        Map.of("channels", Collections.nCopies(count, channel), "data", "x".repeat(DATA_SIZE));
    assertThat(api.post("/api/v1/broadcast", body).status()).isEqualTo(200);
  }

  private static List<Long> offsetsReceivedBy(TestWebSocketClient client, int count) {
    List<Long> offsets = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      JsonNode message = client.push("message");
      assertThat(message.get("data").asString()).hasSize(DATA_SIZE);
      offsets.add(message.get("offset").asLong());
    }
    return offsets;
  }

  private int connections() {
    return api.get("/api/v1/info").json().get("nodes").get(0).get("connections").asInt();
  }

  private int subscribers() {
    for (JsonNode active : api.get("/api/v1/channels").json().get("channels")) {
      if (active.get("channel").asString().equals(channel)) {
        return active.get("subscribers").asInt();
      }
    }
    return 0;
  }

  private static List<Long> range(long from, long to) {
    List<Long> values = new ArrayList<>();
    for (long value = from; value <= to; value++) {
      values.add(value);
    }
    return values;
  }
}
