package herald.transport.websocket;

import herald.channel.EncodingKey;
import herald.channel.Publication;
import herald.protocol.FrameCodec;
import herald.protocol.Push;
import java.util.function.Function;

/**
 * A publication's whole WebSocket frame under one codec, made once per publication and kept on it
 * ({@link Publication#encoded}), so that fan-out writes the same bytes to every subscriber. One
 * instance per codec, shared by its connections.
 */
final class PublicationFrames {

  // One codec per frame type (herald.json text, herald.msgpack binary), so one key per type.
  private static final EncodingKey TEXT = EncodingKey.create("websocket-text-frame");
  private static final EncodingKey BINARY = EncodingKey.create("websocket-binary-frame");

  private final EncodingKey key;
  private final Function<Publication, byte[]> framing;

  PublicationFrames(FrameCodec codec) {
    this.key = codec.binary() ? BINARY : TEXT;
    this.framing =
        publication ->
            WebSocketFrames.frame(codec.binary(), codec.encode(new Push.Message(publication)));
  }

  /** {@code message}'s frame, header and payload. */
  byte[] framed(Push.Message message) {
    return message.publication().encoded(key, framing);
  }
}
