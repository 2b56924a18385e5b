package herald.transport.sse;

import herald.channel.ChannelName;
import herald.channel.EncodingKey;
import herald.channel.Publication;
import herald.channel.StreamPosition;
import herald.protocol.CloseCode;
import herald.protocol.PublicationJson;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.NettyDataBufferFactory;
import tools.jackson.databind.json.JsonMapper;

/**
 * Renders one stream's events as text/event-stream blocks and keeps the stream's cursor.
 *
 * <p>Not thread-safe: a stream renders its events one at a time, in order. A publication's {@code
 * data:} bytes are encoded once and shared by every stream; only the {@code id:} line is per
 * stream.
 */
final class SseRenderer {

  private static final EncodingKey SSE_DATA = EncodingKey.create("sse-data");
  private static final byte[] MESSAGE_PREFIX = ascii("event: message\nid: ");
  private static final byte[] DATA_PREFIX = ascii("\ndata: ");
  private static final byte[] END = ascii("\n\n");
  private static final byte[] PING = ascii(": ping\n\n");

  /** What an event's lines besides its data take: the event name and an id with a few channels. */
  private static final int EVENT_OVERHEAD = 128;

  private final JsonMapper json;
  private final NettyDataBufferFactory buffers;
  private final Map<ChannelName, StreamPosition> positions;

  /**
   * @param resumed the positions the client resumed from; they stay in the cursor until replaced
   */
  SseRenderer(
      JsonMapper json, NettyDataBufferFactory buffers, Map<ChannelName, StreamPosition> resumed) {
    this.json = json;
    this.buffers = buffers;
    this.positions = new LinkedHashMap<>(resumed);
  }

  static DataBuffer retry(NettyDataBufferFactory buffers, Duration retry) {
    return buffers.wrap(ascii("retry: " + retry.toMillis() + "\n\n"));
  }

  DataBuffer ping() {
    return buffers.wrap(PING);
  }

  /** The event's block, or {@code null} for events that only move the cursor. */
  @Nullable DataBuffer render(SseEvent event) {
    if (event instanceof SseEvent.Message message) {
      return message(message.publication());
    }
    if (event instanceof SseEvent.Positioned positioned) {
      positions.put(positioned.channel(), positioned.position());
      return null;
    }
    if (event instanceof SseEvent.Reset reset) {
      String data =
          json.writeValueAsString(Map.of("channels", new String[] {reset.channel().value()}));
      return text("event: reset\nid: " + cursor() + "\ndata: " + data + "\n\n");
    }
    if (event instanceof SseEvent.Ping) {
      return ping();
    }
    if (event instanceof SseEvent.Checkpoint) {
      return text("id: " + cursor() + "\n\n");
    }
    SseEvent.Disconnect disconnect = (SseEvent.Disconnect) event;
    return text(
        "event: disconnect\ndata: "
            + disconnectData(disconnect.code(), disconnect.reason())
            + "\n\n");
  }

  /**
   * About the bytes {@code event} takes once rendered, for the queue's byte bound: a publication's
   * shared {@code data:} bytes (encoded here if no stream did yet, and kept) plus its lines; any
   * other event a small fixed amount. Thread-safe; allocates nothing for a publication already
   * encoded.
   */
  static int sizeOf(JsonMapper json, SseEvent event) {
    if (event instanceof SseEvent.Message message) {
      return data(json, message.publication()).length + EVENT_OVERHEAD;
    }
    return EVENT_OVERHEAD;
  }

  private static byte[] data(JsonMapper json, Publication publication) {
    return publication.encoded(SSE_DATA, p -> json.writeValueAsBytes(PublicationJson.toNode(p)));
  }

  private DataBuffer message(Publication publication) {
    positions.put(publication.channel(), publication.position());
    byte[] data = data(json, publication);
    ByteBuf block =
        Unpooled.wrappedBuffer(
            Unpooled.wrappedBuffer(MESSAGE_PREFIX),
            Unpooled.wrappedBuffer(ascii(cursor())),
            Unpooled.wrappedBuffer(DATA_PREFIX),
            Unpooled.wrappedBuffer(data),
            Unpooled.wrappedBuffer(END));
    return buffers.wrap(block);
  }

  private String disconnectData(CloseCode code, String reason) {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("code", code.code());
    body.put("reason", reason);
    body.put("reconnect", code.reconnect());
    return json.writeValueAsString(body);
  }

  private String cursor() {
    return SseCursor.encode(positions);
  }

  private DataBuffer text(String block) {
    return buffers.wrap(block.getBytes(StandardCharsets.UTF_8));
  }

  private static byte[] ascii(String text) {
    return text.getBytes(StandardCharsets.US_ASCII);
  }
}
