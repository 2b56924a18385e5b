package herald.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.msgpack.core.MessageBufferPacker;
import org.msgpack.core.MessagePack;
import org.msgpack.core.MessageUnpacker;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Turns the JSON frames tests write into the MessagePack frames of {@code herald.msgpack} and back,
 * so that one test of the WebSocket contract runs on both subprotocols. Text that is not JSON goes
 * out as its bytes, which a MessagePack decoder refuses as it refuses bad JSON.
 */
final class MsgpackTranslation {

  private static final JsonMapper JSON = JsonMapper.builder().build();

  private MsgpackTranslation() {}

  static byte[] toMsgpack(String json) {
    JsonNode tree;
    try {
      tree = JSON.readTree(json);
    } catch (JacksonException notJson) {
      return json.getBytes(StandardCharsets.UTF_8);
    }
    try (MessageBufferPacker packer = MessagePack.newDefaultBufferPacker()) {
      pack(packer, tree);
      return packer.toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static String toJson(byte[] msgpack) {
    try (MessageUnpacker unpacker = MessagePack.newDefaultUnpacker(msgpack)) {
      return unpacker.unpackValue().toJson();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void pack(MessageBufferPacker packer, JsonNode node) throws IOException {
    if (node.isObject()) {
      packer.packMapHeader(node.size());
      for (Map.Entry<String, JsonNode> field : node.properties()) {
        packer.packString(field.getKey());
        pack(packer, field.getValue());
      }
    } else if (node.isArray()) {
      packer.packArrayHeader(node.size());
      for (JsonNode element : node) {
        pack(packer, element);
      }
    } else if (node.isString()) {
      packer.packString(node.asString());
    } else if (node.isIntegralNumber() && node.canConvertToLong()) {
      packer.packLong(node.asLong());
    } else if (node.isIntegralNumber()) {
      // Past 64 bits MessagePack has no integer; a float is as out of range for the node.
      packer.packDouble(node.asDouble());
    } else if (node.isNumber()) {
      packer.packDouble(node.asDouble());
    } else if (node.isBoolean()) {
      packer.packBoolean(node.asBoolean());
    } else {
      packer.packNil();
    }
  }
}
