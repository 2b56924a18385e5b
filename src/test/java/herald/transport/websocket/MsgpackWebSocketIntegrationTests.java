package herald.transport.websocket;

import static org.assertj.core.api.Assertions.assertThat;

import herald.support.HeraldIntegrationTest;
import herald.support.TestTokens;
import herald.support.TestWebSocketClient;
import java.io.IOException;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.msgpack.core.MessageBufferPacker;
import org.msgpack.core.MessagePack;
import org.msgpack.core.MessageUnpacker;
import org.springframework.boot.test.web.server.LocalServerPort;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** The herald.msgpack subprotocol end to end: binary frames in, binary frames out. */
@HeraldIntegrationTest
class MsgpackWebSocketIntegrationTests {

  private static final JsonMapper JSON = JsonMapper.shared();

  @LocalServerPort int port;

  private static byte[] request(long id, String op, String channel) throws IOException {
    try (MessageBufferPacker packer = MessagePack.newDefaultBufferPacker()) {
      packer.packMapHeader(3).packString("id").packLong(id);
      packer.packString("op").packString(op);
      packer.packString("channel").packString(channel);
      return packer.toByteArray();
    }
  }

  private static byte[] publish(long id, String channel, String text) throws IOException {
    try (MessageBufferPacker packer = MessagePack.newDefaultBufferPacker()) {
      packer.packMapHeader(4).packString("id").packLong(id);
      packer.packString("op").packString("publish");
      packer.packString("channel").packString(channel);
      packer.packString("data").packMapHeader(1).packString("text").packString(text);
      return packer.toByteArray();
    }
  }

  private static JsonNode read(byte[] frame) throws IOException {
    try (MessageUnpacker unpacker = MessagePack.newDefaultUnpacker(frame)) {
      return JSON.readTree(unpacker.unpackValue().toJson());
    }
  }

  @Test
  void subscribePublishAndReceiveInMessagePack() throws IOException {
    String channel = "chat:msgpack-" + System.nanoTime();
    String token = TestTokens.user("mia").subscribe("chat:*").publish("chat:*").token();
    TestWebSocketClient client =
        TestWebSocketClient.to(port).subprotocol("herald.msgpack").token(token).open();
    try {
      assertThat(client.subprotocol()).isEqualTo("herald.msgpack");
      client.sendBinary(request(1, "subscribe", channel));
      JsonNode subscribed = read(client.nextBinary());
      assertThat(subscribed.get("id").asLong()).isEqualTo(1);
      assertThat(subscribed.get("result").get("recovered").asBoolean()).isFalse();

      client.sendBinary(publish(2, channel, "hallo"));
      // chat: announces joins, so the subscriber's own join comes too; order among them may vary.
      Map<String, JsonNode> frames = new HashMap<>();
      for (int i = 0; i < 3; i++) {
        JsonNode frame = read(client.nextBinary());
        frames.put(frame.has("type") ? frame.get("type").asString() : "reply", frame);
      }
      JsonNode reply = frames.get("reply");
      JsonNode message = frames.get("message");
      assertThat(frames.get("join").get("user").asString()).isEqualTo("mia");
      assertThat(reply.get("result").get("offset").asLong()).isEqualTo(1);
      assertThat(message.get("type").asString()).isEqualTo("message");
      assertThat(message.get("channel").asString()).isEqualTo(channel);
      assertThat(message.get("data").get("text").asString()).isEqualTo("hallo");
      assertThat(message.get("from").asString()).isEqualTo("mia");
    } finally {
      client.close();
    }
  }

  @Test
  void aTextFrameOnMessagePackIsAProtocolViolation() {
    String token = TestTokens.user("mia").subscribe("chat:*").token();
    TestWebSocketClient client =
        TestWebSocketClient.to(port).subprotocol("herald.msgpack").token(token).open();
    client.send("{\"id\":1,\"op\":\"ping\"}");
    client.awaitTerminated();
    assertThat(client.closeStatus().code()).isEqualTo(4400);
  }
}
