package herald.load;

/** The load tools send traffic to loopback only. */
final class Loopback {

  private Loopback() {}

  static void require(String host) {
    if (!host.startsWith("127.") && !host.equals("::1") && !host.equals("localhost")) {
      throw new IllegalArgumentException("load goes to loopback only, not " + host);
    }
  }
}
