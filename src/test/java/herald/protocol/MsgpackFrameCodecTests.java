package herald.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import herald.channel.ChannelName;
import herald.channel.Publication;
import herald.channel.StreamPosition;
import java.io.IOException;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.msgpack.core.MessageBufferPacker;
import org.msgpack.core.MessagePack;
import org.msgpack.core.MessageUnpacker;
import org.msgpack.value.Value;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** herald.msgpack carries exactly the structures of herald.json. */
class MsgpackFrameCodecTests {

  private final MsgpackFrameCodec msgpack = new MsgpackFrameCodec();
  private final JsonFrameCodec jsonCodec = new JsonFrameCodec();
  private final JsonMapper json = JsonMapper.builder().build();

  /** The MessagePack encoding of a JSON text, built with msgpack-core's own value model. */
  private static byte[] packJson(String jsonText) throws IOException {
    JsonNode tree = JsonMapper.builder().build().readTree(jsonText);
    try (MessageBufferPacker packer = MessagePack.newDefaultBufferPacker()) {
      pack(packer, tree);
      return packer.toByteArray();
    }
  }

  private static void pack(MessageBufferPacker packer, JsonNode node) throws IOException {
    if (node.isObject()) {
      packer.packMapHeader(node.size());
      for (var field : node.properties()) {
        packer.packString(field.getKey());
        pack(packer, field.getValue());
      }
    } else if (node.isArray()) {
      packer.packArrayHeader(node.size());
      for (JsonNode item : node) {
        pack(packer, item);
      }
    } else if (node.isString()) {
      packer.packString(node.asString());
    } else if (node.isIntegralNumber()) {
      packer.packLong(node.asLong());
    } else if (node.isBoolean()) {
      packer.packBoolean(node.asBoolean());
    } else {
      packer.packNil();
    }
  }

  /** A MessagePack frame read back as JSON text, through msgpack-core's value model. */
  private static String unpackToJson(byte[] frame) throws IOException {
    try (MessageUnpacker unpacker = MessagePack.newDefaultUnpacker(frame)) {
      Value value = unpacker.unpackValue();
      return value.toJson();
    }
  }

  @Test
  void decodesTheSameCommandsAsJson() throws IOException {
    for (String frame :
        List.of(
            "{\"id\":2,\"op\":\"subscribe\",\"channel\":\"c\",\"since\":{\"offset\":17,\"epoch\":\"k3J9\"}}",
            "{\"id\":4,\"op\":\"publish\",\"channel\":\"c\",\"data\":{\"a\":[1,true,null,\"x\"]}}",
            "{\"id\":8,\"op\":\"ping\"}",
            "{\"id\":9,\"op\":\"fly\"}")) {
      assertThat(msgpack.decode(packJson(frame)))
          .isEqualTo(jsonCodec.decode(frame.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
    }
    assertThat(msgpack.decode(packJson("{\"id\":2,\"op\":\"subscribe\",\"channel\":\"c\"}")))
        .isEqualTo(new Command.Subscribe(2, ChannelName.of("c"), null));
  }

  @Test
  void garbageDecodesToABadRequest() {
    assertThat(msgpack.decode(new byte[] {(byte) 0xc1, 1, 2})).isInstanceOf(Command.Invalid.class);
    assertThat(msgpack.decode(new byte[0])).isInstanceOf(Command.Invalid.class);
  }

  @Test
  void encodesTheSameStructuresAsJson() throws IOException {
    Publication publication =
        new Publication(
            ChannelName.of("document:42"), 17, "k3J9", json.readTree("{\"t\":[1,2]}"), 5L, "alice");
    for (ServerFrame frame :
        List.<ServerFrame>of(
            new Push.Message(publication),
            Reply.ok(2, new Reply.Subscribed("k3J9", 17, true)),
            Reply.error(3, ErrorCode.FORBIDDEN, "no"),
            new Push.Reset(ChannelName.of("document:42"), new StreamPosition(3, "k3J9")),
            new Push.Subscribe(ChannelName.of("document:42"), new StreamPosition(3, "k3J9")),
            new Push.Disconnect(CloseCode.SLOW_CONSUMER, "slow consumer"))) {
      JsonNode fromMsgpack = json.readTree(unpackToJson(msgpack.encode(frame)));
      JsonNode fromJson = json.readTree(jsonCodec.encode(frame));
      assertThat(fromMsgpack).isEqualTo(fromJson);
    }
  }
}
