package herald.transport.websocket;

import java.time.Clock;
import java.time.Duration;

/** When a connection last showed it is alive: any inbound frame, pongs included. */
final class Liveness {

  private final Clock clock;
  private volatile long lastSeenMillis;

  Liveness(Clock clock) {
    this.clock = clock;
    this.lastSeenMillis = clock.millis();
  }

  void seen() {
    lastSeenMillis = clock.millis();
  }

  Duration silentFor() {
    return Duration.ofMillis(clock.millis() - lastSeenMillis);
  }
}
