package herald.engine.memory;

import static org.assertj.core.api.Assertions.assertThat;

import herald.channel.ChannelName;
import herald.channel.Publication;
import herald.engine.Engine;
import herald.engine.EngineContractTests;
import herald.engine.HistoryQuery;
import herald.support.TestChannelOptions;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import reactor.test.StepVerifier;
import reactor.test.scheduler.VirtualTimeScheduler;

class InMemoryEngineTests extends EngineContractTests {

  private final MutableClock clock = new MutableClock();
  private InMemoryEngine memory;

  @Override
  protected Engine createEngine() {
    memory =
        new InMemoryEngine(
            new TestChannelOptions(), clock, Duration.ofHours(1), VirtualTimeScheduler.create());
    return memory;
  }

  @AfterEach
  void close() {
    memory.close();
  }

  @Test
  void publicationsExpireAfterTheirTtl() {
    ChannelName channel = channel("news");
    publishAll(channel, 2);
    clock.advance(Duration.ofMinutes(5).plusMillis(1));
    StepVerifier.create(engine.history(channel, new HistoryQuery(null, HistoryQuery.ALL)))
        .assertNext(page -> assertThat(page.publications()).isEmpty())
        .expectComplete()
        .verify(TIMEOUT);
  }

  @Test
  void idleChannelsAreReleasedAndComeBackWithANewEpoch() {
    ChannelName channel = channel("news");
    Publication first = publishAll(channel, 1).get(0);
    clock.advance(Duration.ofMinutes(6));
    memory.sweep();
    assertThat(memory.channelCount()).isZero();
    Publication again = publishAll(channel, 1).get(0);
    assertThat(again.offset()).isEqualTo(1);
    assertThat(again.epoch()).isNotEqualTo(first.epoch());
  }

  @Test
  void subscribedChannelsAreKeptEvenWithoutHistory() {
    ChannelName channel = channel("news");
    StepVerifier.create(engine.subscribe(channel)).expectComplete().verify(TIMEOUT);
    Publication first = publishAll(channel, 1).get(0);
    clock.advance(Duration.ofMinutes(6));
    memory.sweep();
    Publication second = publishAll(channel, 1).get(0);
    assertThat(second.offset()).isEqualTo(2);
    assertThat(second.epoch()).isEqualTo(first.epoch());
  }

  /** A clock the test moves by hand. */
  static final class MutableClock extends Clock {
    private volatile Instant now = Instant.parse("2026-01-01T00:00:00Z");

    void advance(Duration duration) {
      now = now.plus(duration);
    }

    @Override
    public ZoneOffset getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(java.time.ZoneId zone) {
      return this;
    }

    @Override
    public Instant instant() {
      return now;
    }
  }
}
