package herald.transport.sse;

import herald.channel.ChannelName;
import herald.channel.StreamPosition;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The opaque SSE event id: the position of every channel of the stream, so that one {@code
 * Last-Event-ID} resumes them all.
 *
 * <p>Format (inside base64url, no padding): {@code 1;<channel>,<epoch>,<offset>;...}. Channel names
 * cannot contain {@code ;} or {@code ,}, and epochs are alphanumeric, so no escaping is needed.
 */
final class SseCursor {

  private static final String VERSION = "1";
  private static final int MAX_LENGTH = 16 * 1024;

  private SseCursor() {}

  static String encode(Map<ChannelName, StreamPosition> positions) {
    StringBuilder text = new StringBuilder(VERSION);
    positions.forEach(
        (channel, position) ->
            text.append(';')
                .append(channel.value())
                .append(',')
                .append(position.epoch())
                .append(',')
                .append(position.offset()));
    return Base64.getUrlEncoder()
        .withoutPadding()
        .encodeToString(text.toString().getBytes(StandardCharsets.UTF_8));
  }

  /**
   * @throws IllegalArgumentException when {@code cursor} is not one this server made
   */
  static Map<ChannelName, StreamPosition> decode(String cursor) {
    if (cursor.length() > MAX_LENGTH) {
      throw new IllegalArgumentException("cursor too long");
    }
    String text = new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8);
    String[] parts = text.split(";", -1);
    if (!parts[0].equals(VERSION)) {
      throw new IllegalArgumentException("unknown cursor version");
    }
    Map<ChannelName, StreamPosition> positions = new LinkedHashMap<>();
    for (int i = 1; i < parts.length; i++) {
      String[] fields = parts[i].split(",", -1);
      if (fields.length != 3 || fields[1].isEmpty()) {
        throw new IllegalArgumentException("malformed cursor entry");
      }
      positions.put(
          ChannelName.of(fields[0]), new StreamPosition(Long.parseLong(fields[2]), fields[1]));
    }
    return positions;
  }
}
