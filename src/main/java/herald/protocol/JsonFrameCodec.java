package herald.protocol;

import herald.channel.EncodingKey;
import tools.jackson.core.JacksonException;
import tools.jackson.core.StreamReadConstraints;
import tools.jackson.core.StreamWriteConstraints;
import tools.jackson.core.json.JsonFactory;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** The {@code herald.json} subprotocol: text frames holding JSON. */
public final class JsonFrameCodec implements FrameCodec {

  /** The subprotocol name. */
  public static final String SUBPROTOCOL = "herald.json";

  /** Deeper JSON than this is refused before it is built, so nesting cannot exhaust the stack. */
  static final int MAX_NESTING_DEPTH = 32;

  /**
   * How deep an outbound frame may be. Data accepted elsewhere (the backend API reads bodies up to
   * Jackson's default depth, 500) comes back wrapped in a few more levels ({@code history}: reply,
   * result, publications, publication), so writing must allow more than any reader accepts, or a
   * frame the node already took could not be sent and would end the connection asking for it.
   */
  static final int MAX_WRITE_NESTING_DEPTH = 1_000;

  private static final EncodingKey MESSAGE_PUSH = EncodingKey.create("json-message-push");

  private final JsonMapper mapper;

  public JsonFrameCodec() {
    JsonFactory factory =
        JsonFactory.builder()
            .streamReadConstraints(
                StreamReadConstraints.builder().maxNestingDepth(MAX_NESTING_DEPTH).build())
            .streamWriteConstraints(
                StreamWriteConstraints.builder().maxNestingDepth(MAX_WRITE_NESTING_DEPTH).build())
            .build();
    this.mapper = JsonMapper.builder(factory).build();
    // A mapper finds its tree deserializer at its first read, under a lock: done here, so that the
    // event loops reading a node's first frames do not wait on each other for it.
    mapper.readTree("{}");
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
    // Jackson decodes some invalid UTF-8 (overlong forms, code points past U+10FFFF) instead of
    // refusing it, so the text is checked as RFC 3629 defines it first.
    if (!isValidUtf8(payload)) {
      return new Command.Invalid(0, ErrorCode.BAD_REQUEST, "frame is not valid UTF-8");
    }
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

  /**
   * Whether {@code bytes} is well-formed UTF-8 (RFC 3629, Table 3-7 of the Unicode standard): no
   * overlong forms, no surrogates, nothing past U+10FFFF, no truncated sequence.
   */
  static boolean isValidUtf8(byte[] bytes) {
    int i = 0;
    while (i < bytes.length) {
      int lead = bytes[i] & 0xff;
      if (lead < 0x80) {
        i++;
        continue;
      }
      int continuations;
      int low = 0x80;
      int high = 0xbf;
      if (lead >= 0xc2 && lead <= 0xdf) {
        continuations = 1;
      } else if (lead >= 0xe0 && lead <= 0xef) {
        continuations = 2;
        low = lead == 0xe0 ? 0xa0 : 0x80;
        high = lead == 0xed ? 0x9f : 0xbf;
      } else if (lead >= 0xf0 && lead <= 0xf4) {
        continuations = 3;
        low = lead == 0xf0 ? 0x90 : 0x80;
        high = lead == 0xf4 ? 0x8f : 0xbf;
      } else {
        return false;
      }
      if (i + continuations >= bytes.length) {
        return false;
      }
      int second = bytes[i + 1] & 0xff;
      if (second < low || second > high) {
        return false;
      }
      for (int k = 2; k <= continuations; k++) {
        if ((bytes[i + k] & 0xc0) != 0x80) {
          return false;
        }
      }
      i += continuations + 1;
    }
    return true;
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
