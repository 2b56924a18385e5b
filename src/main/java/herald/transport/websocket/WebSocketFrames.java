package herald.transport.websocket;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

/**
 * Whole WebSocket data frames (RFC 6455 §5.2) as a server sends them: final, unmasked, no extension
 * bits. A server's frame does not depend on the connection, so a publication is framed once and the
 * same bytes are written to every subscriber, with no frame object and no trip through Netty's
 * frame encoder per delivery.
 *
 * <p>Only for connections without permessage-deflate: a compressed connection's frames go through
 * the extension's encoder as {@code WebSocketFrame}s.
 */
final class WebSocketFrames {

  private static final int FIN = 0x80;
  private static final int OPCODE_TEXT = 0x1;
  private static final int OPCODE_BINARY = 0x2;

  private WebSocketFrames() {}

  /** The frame carrying {@code payload}, header included, as one array. */
  static byte[] frame(boolean binary, byte[] payload) {
    int header = headerLength(payload.length);
    byte[] frame = new byte[header + payload.length];
    writeHeader(frame, binary, payload.length);
    System.arraycopy(payload, 0, frame, header, payload.length);
    return frame;
  }

  /**
   * The frame carrying {@code payload} in a buffer of {@code allocator}'s, ready for the socket.
   */
  static ByteBuf frame(ByteBufAllocator allocator, boolean binary, byte[] payload) {
    int header = headerLength(payload.length);
    ByteBuf frame = allocator.ioBuffer(header + payload.length);
    byte[] bytes = new byte[header];
    writeHeader(bytes, binary, payload.length);
    return frame.writeBytes(bytes).writeBytes(payload);
  }

  /** {@code frame}, already framed, in a buffer of {@code allocator}'s. */
  static ByteBuf copy(ByteBufAllocator allocator, byte[] frame) {
    return allocator.ioBuffer(frame.length).writeBytes(frame);
  }

  private static int headerLength(int payloadLength) {
    return payloadLength <= 125 ? 2 : payloadLength <= 0xFFFF ? 4 : 10;
  }

  private static void writeHeader(byte[] header, boolean binary, int length) {
    header[0] = (byte) (FIN | (binary ? OPCODE_BINARY : OPCODE_TEXT));
    if (length <= 125) {
      header[1] = (byte) length;
    } else if (length <= 0xFFFF) {
      header[1] = 126;
      header[2] = (byte) (length >>> 8);
      header[3] = (byte) length;
    } else {
      header[1] = 127;
      // A 64-bit length; payloads are far below 2^31, so the upper four bytes stay 0.
      for (int i = 0; i < 4; i++) {
        header[6 + i] = (byte) (length >>> (24 - 8 * i));
      }
    }
  }
}
