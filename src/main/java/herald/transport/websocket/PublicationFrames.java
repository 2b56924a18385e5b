package herald.transport.websocket;

import herald.channel.EncodingKey;
import herald.channel.Publication;
import herald.protocol.FrameCodec;
import herald.protocol.Push;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.util.concurrent.FastThreadLocal;
import java.util.Objects;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * A publication's whole WebSocket frame under one codec, made once per publication and kept on it
 * ({@link Publication#encoded}), so that fan-out writes the same bytes to every subscriber. One
 * instance per codec, shared by its connections.
 *
 * <p>Each event loop also keeps the last publication it framed in a buffer for the socket, and
 * every subscriber on that loop is written a view of that one buffer: a fan-out copies a frame into
 * socket memory once per loop, not once per subscriber.
 */
final class PublicationFrames {

  // One codec per frame type (herald.json text, herald.msgpack binary), so one key per type.
  private static final EncodingKey TEXT = EncodingKey.create("websocket-text-frame");
  private static final EncodingKey BINARY = EncodingKey.create("websocket-binary-frame");

  // Per thread, the last frame of each type: static, so that the number of instances does not
  // matter (each FastThreadLocal takes a slot in every thread for good).
  private static final FastThreadLocal<LastFramed[]> LAST_FRAMED =
      new FastThreadLocal<>() {
        @Override
        protected LastFramed[] initialValue() {
          return new LastFramed[] {new LastFramed(), new LastFramed()};
        }

        @Override
        protected void onRemoval(LastFramed[] last) {
          for (LastFramed frame : last) {
            frame.release();
          }
        }
      };

  private final EncodingKey key;
  private final int slot;
  private final Function<Publication, byte[]> framing;

  PublicationFrames(FrameCodec codec) {
    this.key = codec.binary() ? BINARY : TEXT;
    this.slot = codec.binary() ? 1 : 0;
    this.framing =
        publication ->
            WebSocketFrames.frame(codec.binary(), codec.encode(new Push.Message(publication)));
  }

  /** {@code message}'s frame, header and payload. */
  byte[] framed(Push.Message message) {
    return message.publication().encoded(key, framing);
  }

  /**
   * {@code message}'s frame in socket memory, for one write: a view of the buffer this thread (an
   * event loop) framed the publication into, retained for the write, which releases it.
   */
  ByteBuf buffer(Push.Message message, ByteBufAllocator allocator) {
    LastFramed last = LAST_FRAMED.get()[slot];
    Publication publication = message.publication();
    if (last.publication != publication) {
      last.replace(publication, WebSocketFrames.copy(allocator, framed(message)));
    }
    return last.buffer().retainedDuplicate();
  }

  /**
   * The publication an event loop framed last and its buffer, held until the next one replaces it:
   * one frame per loop and codec.
   */
  private static final class LastFramed {

    private @Nullable Publication publication;
    private @Nullable ByteBuf buffer;

    void replace(Publication next, ByteBuf framed) {
      release();
      publication = next;
      buffer = framed;
    }

    ByteBuf buffer() {
      return Objects.requireNonNull(buffer);
    }

    void release() {
      if (buffer != null) {
        buffer.release();
        buffer = null;
        publication = null;
      }
    }
  }
}
