package herald.protocol;

/**
 * Turns WebSocket frame payloads into {@link Command}s and {@link ServerFrame}s into payloads, for
 * one subprotocol. Implementations are stateless and thread-safe.
 */
public interface FrameCodec {

  /** The WebSocket subprotocol this codec speaks, as negotiated in the handshake. */
  String subprotocol();

  /** Whether frames are binary (MessagePack) rather than text (JSON). */
  boolean binary();

  /** Decodes one frame's payload. Never throws: bad input becomes {@link Command.Invalid}. */
  Command decode(byte[] payload);

  /**
   * Encodes one outbound frame. A {@link Push.Message} is encoded once per publication and codec,
   * and the same array is returned to every subscriber: callers must not modify it.
   */
  byte[] encode(ServerFrame frame);
}
