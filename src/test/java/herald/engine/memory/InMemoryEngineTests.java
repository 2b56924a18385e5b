package herald.engine.memory;

import static org.assertj.core.api.Assertions.assertThat;

import herald.channel.ChannelName;
import herald.channel.Publication;
import herald.engine.Engine;
import herald.engine.EngineContractTests;
import herald.engine.HistoryQuery;
import herald.engine.PublishOutcome;
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
  void anIdempotencyKeyPublishesAgainOnceItsWindowPassed() {
    ChannelName channel = channel("news");
    Duration window = Duration.ofSeconds(30);
    PublishOutcome first = engine.publishOnce(channel, data(1), "k", window).block(TIMEOUT);
    clock.advance(window.minusMillis(1));
    assertThat(engine.publishOnce(channel, data(1), "k", window).block(TIMEOUT).repeat()).isTrue();
    clock.advance(Duration.ofMillis(1));
    PublishOutcome again = engine.publishOnce(channel, data(1), "k", window).block(TIMEOUT);
    assertThat(again.repeat()).isFalse();
    assertThat(again.position().offset()).isEqualTo(first.position().offset() + 1);
  }

  @Test
  void idempotencyKeysAreBoundedByCountAndTheOldestIsForgottenFirst() {
    InMemoryEngine bounded =
        new InMemoryEngine(
            new TestChannelOptions(), clock, Duration.ofHours(1), VirtualTimeScheduler.create(), 2);
    ChannelName channel = channel("news");
    Duration window = Duration.ofMinutes(5);
    for (String key : new String[] {"a", "b", "c"}) {
      bounded.publishOnce(channel, data(1), key, window).block(TIMEOUT);
    }
    assertThat(bounded.publishOnce(channel, data(1), "c", window).block(TIMEOUT).repeat()).isTrue();
    assertThat(bounded.publishOnce(channel, data(1), "a", window).block(TIMEOUT).repeat())
        .as("the oldest key was forgotten at the bound")
        .isFalse();
    bounded.close();
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
