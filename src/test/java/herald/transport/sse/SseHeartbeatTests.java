package herald.transport.sse;

import static org.assertj.core.api.Assertions.assertThat;

import herald.connection.Heartbeat;
import herald.observability.HeraldMetrics;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import reactor.test.scheduler.VirtualTimeScheduler;
import tools.jackson.databind.json.JsonMapper;

class SseHeartbeatTests {

  private final VirtualTimeScheduler time = VirtualTimeScheduler.create();
  private final Heartbeat<SseConnection> heartbeat =
      new Heartbeat<>(Duration.ofSeconds(15), time, SseConnection::ping);

  @AfterEach
  void stop() {
    heartbeat.close();
    time.dispose();
  }

  private static List<SseEvent> drain(SseConnection stream) {
    List<SseEvent> events = new ArrayList<>();
    stream.queue().items().subscribe(events::add);
    return events;
  }

  @Test
  void everyIdleStreamGetsAPingEveryInterval() {
    SseConnection first = connection();
    SseConnection second = connection();
    heartbeat.add(first);
    heartbeat.add(second);
    List<SseEvent> firstEvents = drain(first);
    List<SseEvent> secondEvents = drain(second);

    // Within one interval each gets its first ping (pings are spread over the interval), then one
    // per interval.
    time.advanceTimeBy(Duration.ofSeconds(15));
    assertThat(firstEvents).containsExactly(SseEvent.Ping.INSTANCE);
    assertThat(secondEvents).containsExactly(SseEvent.Ping.INSTANCE);
    time.advanceTimeBy(Duration.ofSeconds(15));
    assertThat(firstEvents).containsExactly(SseEvent.Ping.INSTANCE, SseEvent.Ping.INSTANCE);
  }

  @Test
  void aStreamWithEventsWaitingGetsNoPing() {
    SseConnection stream = connection();
    heartbeat.add(stream);
    stream.checkpoint(); // queued, nobody reads it yet

    time.advanceTimeBy(Duration.ofSeconds(30));

    assertThat(stream.queue().size()).isEqualTo(1);
    assertThat(drain(stream)).containsExactly(new SseEvent.Checkpoint());
  }

  @Test
  void aRemovedStreamGetsNoMorePings() {
    SseConnection stream = connection();
    heartbeat.add(stream);
    List<SseEvent> events = drain(stream);
    time.advanceTimeBy(Duration.ofSeconds(15));
    heartbeat.remove(stream);

    time.advanceTimeBy(Duration.ofSeconds(60));

    assertThat(events).containsExactly(SseEvent.Ping.INSTANCE);
    assertThat(heartbeat.size()).isZero();
  }

  private static SseConnection connection() {
    return new SseConnection(
        10, 1 << 20, JsonMapper.builder().build(), HeraldMetrics.unregistered().sse());
  }
}
