package herald.connection;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import reactor.test.scheduler.VirtualTimeScheduler;

class HeartbeatTests {

  private static final Duration INTERVAL = Duration.ofSeconds(25);

  private final VirtualTimeScheduler time = VirtualTimeScheduler.create();
  private final Map<Object, AtomicInteger> beats = new ConcurrentHashMap<>();
  private final Heartbeat<Object> heartbeat =
      new Heartbeat<>(
          INTERVAL,
          time,
          connection ->
              beats.computeIfAbsent(connection, c -> new AtomicInteger()).incrementAndGet());

  @AfterEach
  void stop() {
    heartbeat.close();
    time.dispose();
  }

  @Test
  void everyConnectionIsBeatenOncePerIntervalAndTheBeatsAreSpreadOverIt() {
    List<Object> connections = connections(2_500);
    assertThat(heartbeat.slices()).isEqualTo(25);

    time.advanceTimeBy(Duration.ofSeconds(1));
    assertThat(beats.size())
        .as("one second in: about a 25th of the connections, not all of them at once")
        .isBetween(1, 2_500 / 5);

    time.advanceTimeBy(INTERVAL.minusSeconds(1));
    assertThat(connections).allSatisfy(c -> assertThat(beats.get(c)).hasValue(1));

    time.advanceTimeBy(INTERVAL);
    assertThat(connections).allSatisfy(c -> assertThat(beats.get(c)).hasValue(2));
  }

  @Test
  void aRemovedConnectionIsBeatenNoMore() {
    List<Object> connections = connections(100);
    time.advanceTimeBy(INTERVAL);
    connections.forEach(heartbeat::remove);
    assertThat(heartbeat.size()).isZero();

    time.advanceTimeBy(INTERVAL.multipliedBy(2));

    assertThat(connections).allSatisfy(c -> assertThat(beats.get(c)).hasValue(1));
  }

  @Test
  void anIntervalUnderASecondIsOneSliceBeatenEveryInterval() {
    Heartbeat<Object> fast = new Heartbeat<>(Duration.ofMillis(200), time, c -> {});
    try {
      assertThat(fast.slices()).isEqualTo(1);
    } finally {
      fast.close();
    }
  }

  private List<Object> connections(int count) {
    List<Object> connections = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      Object connection = new Object();
      connections.add(connection);
      heartbeat.add(connection);
    }
    assertThat(heartbeat.size()).isEqualTo(count);
    return connections;
  }
}
