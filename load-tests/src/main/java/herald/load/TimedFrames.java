package herald.load;

/**
 * The WebSocket text the latency tools write and read without a JSON parser, to keep the generator
 * cheap: a publish frame whose data carries its sequence number and send time, and the decimal
 * numbers read back at known places in replies and pushes.
 */
final class TimedFrames {

  private TimedFrames() {}

  /**
   * {@code {"id":n,"op":"publish","channel":"<channel>","data":{"seq":n,"t":<System.nanoTime()>}}}.
   */
  static String publish(long n, String channel) {
    return "{\"id\":"
        + n
        + ",\"op\":\"publish\",\"channel\":\""
        + channel
        + "\",\"data\":{\"seq\":"
        + n
        + ",\"t\":"
        + System.nanoTime()
        + "}}";
  }

  /** The non-negative decimal number that starts at {@code from} in {@code text} (0 if none). */
  static long number(String text, int from) {
    long value = 0;
    for (int i = from; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c < '0' || c > '9') {
        break;
      }
      value = value * 10 + (c - '0');
    }
    return value;
  }
}
