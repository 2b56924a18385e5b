package herald.protocol;

import herald.channel.EncodingKey;
import tools.jackson.core.JacksonException;
import tools.jackson.core.StreamReadConstraints;
import tools.jackson.core.json.JsonFactory;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** The {@code herald.json} subprotocol: text frames holding JSON. */
public final class JsonFrameCodec implements FrameCodec {

  /** The subprotocol name. */
  public static final String SUBPROTOCOL = "herald.json";

  /** Deeper JSON than this is refused before it is built, so nesting cannot exhaust the stack. */
  static final int MAX_NESTING_DEPTH = 32;

  private static final EncodingKey MESSAGE_PUSH = EncodingKey.create("json-message-push");

  private final JsonMapper mapper;

  public JsonFrameCodec() {
    JsonFactory factory =
        JsonFactory.builder()
            .streamReadConstraints(
                StreamReadConstraints.builder().maxNestingDepth(MAX_NESTING_DEPTH).build())
            .build();
    this.mapper = JsonMapper.builder(factory).build();
  }

  @Override
  public String subprotocol() {
    return SUBPROTOCOL;
  }

  @Override
  public boolean binary() {
    return false;
  }

  @Override
  public Command decode(byte[] payload) {
    JsonNode tree;
    try {
      tree = mapper.readTree(payload);
    } catch (JacksonException e) {
      return new Command.Invalid(0, ErrorCode.BAD_REQUEST, "frame is not valid JSON");
    }
    return tree == null || tree.isMissingNode()
        ? new Command.Invalid(0, ErrorCode.BAD_REQUEST, "frame is empty")
        : CommandReader.read(tree);
  }

  @Override
  public byte[] encode(ServerFrame frame) {
    if (frame instanceof Push.Message message) {
      return message
          .publication()
          .encoded(MESSAGE_PUSH, publication -> mapper.writeValueAsBytes(FrameTrees.push(message)));
    }
    return mapper.writeValueAsBytes(FrameTrees.tree(frame));
  }
}
