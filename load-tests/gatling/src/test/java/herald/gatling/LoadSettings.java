package herald.gatling;

import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.time.Duration;

/**
 * The knobs of a simulation run, read once from system properties ({@code -Dherald.users=200}).
 * Every run is bounded: a positive user count and duration are required, and the target must be a
 * loopback address, because these simulations exist to load a node on the same machine, never a
 * host someone else runs.
 *
 * @param baseUrl the node, {@code http://127.0.0.1:8080} unless {@code herald.baseUrl} says
 *     otherwise
 * @param users virtual users of the main scenario (chat members or dashboard viewers)
 * @param duration how long each user stays (publishing or watching), after ramping in
 * @param ramp the time over which users arrive
 * @param apiKey the backend API key the node was started with ({@code herald.api.key})
 * @param hmacSecret the node's HS256 secret; on a node in insecure development mode any value does,
 *     since signatures are not checked there
 * @param chatPace the time between two messages of one chat user
 * @param publishRate backend publications per second in the dashboard scenario
 * @param maxDeliveryMillis the longest a publication may take from sender to receiver before a
 *     check fails
 * @param p99Millis the p99 bound for publish round trips (chat) and backend publishes (dashboard)
 * @param connectP95Millis the p95 bound for opening a connection until it is subscribed; a p95, not
 *     a p99, because the first connections of a fresh Gatling JVM pay for its warm-up
 */
record LoadSettings(
    URI baseUrl,
    int users,
    Duration duration,
    Duration ramp,
    String apiKey,
    String hmacSecret,
    Duration chatPace,
    int publishRate,
    long maxDeliveryMillis,
    long p99Millis,
    long connectP95Millis) {

  /** What insecure development nodes accept; real nodes need their own secret. */
  static final String DEVELOPMENT_SECRET = "gatling-insecure-development-secret-0123456789";

  LoadSettings {
    requireLoopback(baseUrl);
    requirePositive("herald.users", users);
    requirePositive("herald.durationSeconds", duration.toSeconds());
    requirePositive("herald.publishRate", publishRate);
    requirePositive("herald.chatPaceMillis", chatPace.toMillis());
  }

  static LoadSettings fromSystemProperties() {
    return new LoadSettings(
        URI.create(System.getProperty("herald.baseUrl", "http://127.0.0.1:8080")),
        Integer.getInteger("herald.users", 50),
        Duration.ofSeconds(Long.getLong("herald.durationSeconds", 30)),
        Duration.ofSeconds(Long.getLong("herald.rampSeconds", 5)),
        System.getProperty("herald.apiKey", "gatling"),
        System.getProperty("herald.hmacSecret", DEVELOPMENT_SECRET),
        Duration.ofMillis(Long.getLong("herald.chatPaceMillis", 1000)),
        Integer.getInteger("herald.publishRate", 20),
        Long.getLong("herald.maxDeliveryMillis", 2000),
        Long.getLong("herald.p99Millis", 500),
        Long.getLong("herald.connectP95Millis", 1000));
  }

  /** The WebSocket form of the base URL ({@code ws://} or {@code wss://}). */
  String wsBaseUrl() {
    return baseUrl.toString().replaceFirst("^http", "ws");
  }

  /** The longest the simulation may run: ramp, stay, and a margin for the last checks. */
  Duration maxDuration() {
    return ramp.plus(duration).plusSeconds(30);
  }

  private static void requireLoopback(URI url) {
    String host = url.getHost();
    if (host == null || !url.getScheme().matches("https?")) {
      throw new IllegalArgumentException("herald.baseUrl must be an http(s) URL: " + url);
    }
    try {
      for (InetAddress address : InetAddress.getAllByName(host)) {
        if (!address.isLoopbackAddress()) {
          throw new IllegalArgumentException(
              "herald.baseUrl must point at this machine (loopback), not " + address);
        }
      }
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException("herald.baseUrl has an unknown host: " + host, e);
    }
  }

  private static void requirePositive(String property, long value) {
    if (value <= 0) {
      throw new IllegalArgumentException(property + " must be positive, was " + value);
    }
  }
}
