package herald.protocol;

import herald.channel.EncodingKey;
import java.io.IOException;
import java.util.Map;
import org.msgpack.core.MessageBufferPacker;
import org.msgpack.core.MessageFormat;
import org.msgpack.core.MessagePack;
import org.msgpack.core.MessageUnpacker;
import org.msgpack.value.ValueType;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/**
 * The {@code herald.msgpack} subprotocol: binary frames holding the same structures as {@code
 * herald.json}, in MessagePack. Frames are read into the same tree the JSON codec reads, so both
 * subprotocols accept and produce exactly the same commands and frames.
 */
public final class MsgpackFrameCodec implements FrameCodec {

  /** The subprotocol name. */
  public static final String SUBPROTOCOL = "herald.msgpack";

  private static final EncodingKey MESSAGE_PUSH = EncodingKey.create("msgpack-message-push");
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  @Override
  public String subprotocol() {
    return SUBPROTOCOL;
  }

  @Override
  public boolean binary() {
    return true;
  }

  @Override
  public Command decode(byte[] payload) {
    JsonNode tree;
    try (MessageUnpacker unpacker = MessagePack.newDefaultUnpacker(payload)) {
      if (!unpacker.hasNext()) {
        return new Command.Invalid(0, ErrorCode.BAD_REQUEST, "frame is empty");
      }
      tree = read(unpacker, 0);
      if (unpacker.hasNext()) {
        return new Command.Invalid(0, ErrorCode.BAD_REQUEST, "frame holds more than one value");
      }
    } catch (IOException | RuntimeException e) {
      return new Command.Invalid(0, ErrorCode.BAD_REQUEST, "frame is not valid MessagePack");
    }
    return CommandReader.read(tree);
  }

  private static JsonNode read(MessageUnpacker unpacker, int depth) throws IOException {
    if (depth > JsonFrameCodec.MAX_NESTING_DEPTH) {
      throw new IOException("nested too deeply");
    }
    MessageFormat format = unpacker.getNextFormat();
    return switch (format.getValueType()) {
      case NIL -> {
        unpacker.unpackNil();
        yield NODES.nullNode();
      }
      case BOOLEAN -> NODES.booleanNode(unpacker.unpackBoolean());
      case INTEGER -> integer(unpacker, format);
      case FLOAT -> NODES.numberNode(unpacker.unpackDouble());
      case STRING -> NODES.stringNode(unpacker.unpackString());
      case ARRAY -> readArray(unpacker, depth);
      case MAP -> readMap(unpacker, depth);
      case BINARY, EXTENSION ->
          throw new IOException("binary and extension values are not supported");
    };
  }

  /** The smallest node that holds the value, as the JSON parser would build it. */
  private static JsonNode integer(MessageUnpacker unpacker, MessageFormat format)
      throws IOException {
    if (format == MessageFormat.UINT64) {
      return NODES.numberNode(unpacker.unpackBigInteger());
    }
    long value = unpacker.unpackLong();
    return value == (int) value ? NODES.numberNode((int) value) : NODES.numberNode(value);
  }

  private static ArrayNode readArray(MessageUnpacker unpacker, int depth) throws IOException {
    int size = unpacker.unpackArrayHeader();
    ArrayNode array = NODES.arrayNode();
    for (int i = 0; i < size; i++) {
      array.add(read(unpacker, depth + 1));
    }
    return array;
  }

  private static ObjectNode readMap(MessageUnpacker unpacker, int depth) throws IOException {
    int size = unpacker.unpackMapHeader();
    ObjectNode object = NODES.objectNode();
    for (int i = 0; i < size; i++) {
      if (unpacker.getNextFormat().getValueType() != ValueType.STRING) {
        throw new IOException("map keys must be strings");
      }
      String key = unpacker.unpackString();
      object.set(key, read(unpacker, depth + 1));
    }
    return object;
  }

  @Override
  public byte[] encode(ServerFrame frame) {
    if (frame instanceof Push.Message message) {
      return message.publication().encoded(MESSAGE_PUSH, p -> pack(FrameTrees.push(message)));
    }
    return pack(FrameTrees.tree(frame));
  }

  private static byte[] pack(JsonNode tree) {
    try (MessageBufferPacker packer = MessagePack.newDefaultBufferPacker()) {
      write(packer, tree);
      return packer.toByteArray();
    } catch (IOException e) {
      throw new IllegalStateException("MessagePack encoding failed", e);
    }
  }

  private static void write(MessageBufferPacker packer, JsonNode node) throws IOException {
    if (node.isObject()) {
      packer.packMapHeader(node.size());
      for (Map.Entry<String, JsonNode> field : node.properties()) {
        packer.packString(field.getKey());
        write(packer, field.getValue());
      }
    } else if (node.isArray()) {
      packer.packArrayHeader(node.size());
      for (JsonNode item : node) {
        write(packer, item);
      }
    } else if (node.isString()) {
      packer.packString(node.asString());
    } else if (node.isBoolean()) {
      packer.packBoolean(node.asBoolean());
    } else if (node.isIntegralNumber()) {
      if (node.canConvertToLong()) {
        packer.packLong(node.asLong());
      } else {
        packer.packBigInteger(node.bigIntegerValue());
      }
    } else if (node.isNumber()) {
      packer.packDouble(node.asDouble());
    } else {
      packer.packNil();
    }
  }
}
