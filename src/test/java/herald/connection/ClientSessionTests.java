package herald.connection;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import herald.channel.ChannelName;
import herald.channel.ClientInfo;
import herald.channel.Publication;
import herald.channel.StreamPosition;
import herald.config.LimitProperties;
import herald.engine.memory.InMemoryBackplane;
import herald.engine.memory.InMemoryEngine;
import herald.protocol.CloseCode;
import herald.protocol.ErrorCode;
import herald.protocol.HeraldException;
import herald.registry.ChannelRegistry;
import herald.security.ChannelPattern;
import herald.security.ChannelPermissions;
import herald.security.Credentials;
import herald.support.TestChannelOptions;
import java.lang.ref.Reference;
import java.lang.ref.WeakReference;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.util.unit.DataSize;
import reactor.core.publisher.Flux;
import reactor.test.StepVerifier;
import reactor.test.scheduler.VirtualTimeScheduler;
import tools.jackson.databind.node.JsonNodeFactory;

class ClientSessionTests {

  private static final Duration TIMEOUT = Duration.ofSeconds(5);

  private final VirtualTimeScheduler time = VirtualTimeScheduler.create();
  private final Clock clock = Clock.fixed(Instant.EPOCH, ZoneOffset.UTC);
  private final InMemoryEngine engine =
      new InMemoryEngine(new TestChannelOptions(), clock, Duration.ofHours(1), time);
  private final ChannelRegistry registry = new ChannelRegistry(engine, 10);
  private final ClientSessions sessions =
      new ClientSessions(
          "node-1",
          engine,
          registry,
          new ChannelPermissions(new TestChannelOptions(), Clock.systemUTC()),
          LimitProperties.of(DataSize.ofKilobytes(64), 2, 2, 10),
          new InMemoryBackplane(clock));
  private final RecordingConnection connection = new RecordingConnection();

  @AfterEach
  void close() {
    engine.close();
  }

  private static Credentials alice(Instant expiresAt) {
    return new Credentials("alice", List.of(new ChannelPattern("*")), List.of(), expiresAt, false);
  }

  @Test
  void expiryCompletesWhenTheTokenExpiresAndARefreshRearmsIt() {
    Instant now = Instant.ofEpochMilli(time.now(java.util.concurrent.TimeUnit.MILLISECONDS));
    ClientSession session = sessions.open("websocket", alice(now.plusSeconds(30)), connection);
    StepVerifier.withVirtualTime(() -> session.expiry(time), () -> time, Long.MAX_VALUE)
        .expectSubscription()
        .thenAwait(Duration.ofSeconds(20))
        .then(() -> session.credentials(alice(now.plusSeconds(60))))
        .expectNoEvent(Duration.ofSeconds(39))
        .thenAwait(Duration.ofSeconds(1))
        .expectComplete()
        .verify(TIMEOUT);
  }

  @Test
  void aTokenWithoutExpiryNeverExpires() {
    ClientSession session = sessions.open("websocket", alice(null), connection);
    StepVerifier.withVirtualTime(() -> session.expiry(time), () -> time, Long.MAX_VALUE)
        .expectSubscription()
        .expectNoEvent(Duration.ofDays(365))
        .thenCancel()
        .verify(TIMEOUT);
  }

  @Test
  void aClaimRenewalRoundHoldsNoSessionOnceTheConnectionIsGone() {
    ClientSession session = sessions.open("websocket", alice(null), new RecordingConnection());
    WeakReference<ClientSession> closed = new WeakReference<>(session);
    Flux<Void> round = sessions.renewClaims();
    StepVerifier.create(round).expectComplete().verify(TIMEOUT);

    sessions.remove(session);
    session = null;

    // The renewal keeps its last round until the next one: it must not keep the connection.
    await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () -> {
              System.gc();
              return closed.get() == null;
            });
    Reference.reachabilityFence(round);
  }

  @Test
  void aRefreshMayNotChangeTheUser() {
    ClientSession session = sessions.open("websocket", alice(null), connection);
    Credentials bob = new Credentials("bob", List.of(), List.of(), null, false);
    assertThatThrownBy(() -> session.credentials(bob))
        .isInstanceOfSatisfying(
            HeraldException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.FORBIDDEN));
  }

  @Test
  void subscriptionsAreLimitedAndNotDuplicated() {
    ClientSession session = sessions.open("websocket", alice(null), connection);
    StepVerifier.create(session.subscribe(ChannelName.of("a"), null, r -> {}))
        .expectComplete()
        .verify(TIMEOUT);
    StepVerifier.create(session.subscribe(ChannelName.of("a"), null, r -> {}))
        .expectErrorSatisfies(
            e -> assertThat(((HeraldException) e).code()).isEqualTo(ErrorCode.ALREADY_SUBSCRIBED))
        .verify(TIMEOUT);
    StepVerifier.create(session.subscribe(ChannelName.of("b"), null, r -> {}))
        .expectComplete()
        .verify(TIMEOUT);
    StepVerifier.create(session.subscribe(ChannelName.of("c"), null, r -> {}))
        .expectErrorSatisfies(
            e -> assertThat(((HeraldException) e).code()).isEqualTo(ErrorCode.BAD_REQUEST))
        .verify(TIMEOUT);
  }

  @Test
  void closingReleasesSubscriptionsAndPresence() {
    ClientSession session = sessions.open("websocket", alice(null), connection);
    ChannelName channel = ChannelName.of("chat:1");
    StepVerifier.create(session.subscribe(channel, null, r -> {})).expectComplete().verify(TIMEOUT);
    StepVerifier.create(engine.presence(channel))
        .assertNext(
            clients -> assertThat(clients).extracting(ClientInfo::user).containsExactly("alice"))
        .expectComplete()
        .verify(TIMEOUT);
    StepVerifier.create(session.close()).expectComplete().verify(TIMEOUT);
    assertThat(registry.subscriptionCount()).isZero();
    assertThat(sessions.count()).isZero();
    StepVerifier.create(engine.presence(channel))
        .assertNext(clients -> assertThat(clients).isEmpty())
        .expectComplete()
        .verify(TIMEOUT);
  }

  @Test
  void theConnectionLimitPerUserIsEnforced() {
    sessions.open("websocket", alice(null), connection);
    sessions.open("sse", alice(null), connection);
    assertThatThrownBy(() -> sessions.open("sse", alice(null), connection))
        .isInstanceOfSatisfying(
            HeraldException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.RATE_LIMITED));
    assertThat(sessions.count()).isEqualTo(2);
  }

  @Test
  void aUsersConnectionsAreFoundUnderItAsTheyComeAndGo() {
    ClientSessions roomy =
        new ClientSessions(
            "node-1",
            engine,
            registry,
            new ChannelPermissions(new TestChannelOptions(), Clock.systemUTC()),
            LimitProperties.of(DataSize.ofKilobytes(64), 2, 3, 10),
            new InMemoryBackplane(clock));
    ClientSession first = roomy.open("websocket", alice(null), connection);
    assertThat(roomy.ofUser("alice")).containsExactly(first);
    ClientSession second = roomy.open("sse", alice(null), connection);
    ClientSession third = roomy.open("websocket", alice(null), connection);
    assertThat(roomy.ofUser("alice")).containsExactlyInAnyOrder(first, second, third);
    assertThatThrownBy(() -> roomy.open("sse", alice(null), connection))
        .isInstanceOf(HeraldException.class);
    assertThat(roomy.countByTransport()).isEqualTo(Map.of("websocket", 2L, "sse", 1L));

    StepVerifier.create(second.close()).expectComplete().verify(TIMEOUT);
    assertThat(roomy.ofUser("alice")).containsExactlyInAnyOrder(first, third);
    assertThat(roomy.countByTransport()).isEqualTo(Map.of("websocket", 2L));
    StepVerifier.create(first.close()).expectComplete().verify(TIMEOUT);
    StepVerifier.create(third.close()).expectComplete().verify(TIMEOUT);
    assertThat(roomy.ofUser("alice")).isEmpty();

    ClientSession again = roomy.open("websocket", alice(null), connection);
    assertThat(roomy.ofUser("alice")).containsExactly(again);
    StepVerifier.create(again.close()).expectComplete().verify(TIMEOUT);
    assertThat(roomy.ofUser("alice")).isEmpty();
  }

  @Test
  void aSubscriberThatOverflowsDuringRecoveryIsClosedAsASlowConsumer() {
    ClientSession session = sessions.open("websocket", alice(null), connection);
    ChannelName channel = ChannelName.of("news");
    StepVerifier.create(
            session.subscribe(
                channel,
                null,
                recovery -> {
                  for (int i = 0; i < 11; i++) {
                    engine
                        .publish(channel, JsonNodeFactory.instance.numberNode(i), null)
                        .subscribe();
                  }
                }))
        .expectComplete()
        .verify(TIMEOUT);
    assertThat(connection.delivered).isEmpty();
    assertThat(connection.disconnects).containsExactly(CloseCode.SLOW_CONSUMER);
  }

  /** Records what the session hands to its transport. */
  @Test
  void anAdmittedConnectionTakesTheUserAndIsFoundUnderIt() {
    ClientSession session = sessions.open("websocket", Credentials.anonymousUser(), connection);

    StepVerifier.create(sessions.admit(session, alice(null))).expectComplete().verify(TIMEOUT);

    assertThat(session.user()).isEqualTo("alice");
    assertThat(sessions.ofUser("alice")).containsExactly(session);
    assertThat(sessions.all()).contains(session);
  }

  @Test
  void narrowerCredentialsRevokeTheChannelsTheyNoLongerPermit() {
    ClientSession session = sessions.open("websocket", alice(null), connection);
    ChannelName kept = ChannelName.of("news");
    ChannelName dropped = ChannelName.of("document:1");
    StepVerifier.create(session.subscribe(kept, null, r -> {})).expectComplete().verify(TIMEOUT);
    StepVerifier.create(session.subscribe(dropped, null, r -> {})).expectComplete().verify(TIMEOUT);

    session.credentials(
        new Credentials("alice", List.of(new ChannelPattern("news")), List.of(), null, false));
    StepVerifier.create(session.revokeNoLongerPermitted()).expectComplete().verify(TIMEOUT);

    assertThat(session.channels()).containsExactly(kept);
    assertThat(connection.revoked).containsExactly(dropped);
  }

  static final class RecordingConnection implements Connection {
    final List<Publication> delivered = new CopyOnWriteArrayList<>();
    final List<CloseCode> disconnects = new CopyOnWriteArrayList<>();
    final List<StreamPosition> resets = new CopyOnWriteArrayList<>();
    final List<ChannelName> revoked = new CopyOnWriteArrayList<>();

    @Override
    public void deliver(Publication publication) {
      delivered.add(publication);
    }

    @Override
    public void joined(ChannelName channel, ClientInfo client) {}

    @Override
    public void left(ChannelName channel, ClientInfo client) {}

    @Override
    public void revoked(ChannelName channel, String reason) {
      revoked.add(channel);
    }

    @Override
    public void reset(ChannelName channel, StreamPosition position) {
      resets.add(position);
    }

    @Override
    public void disconnect(CloseCode code, String reason) {
      disconnects.add(code);
    }
  }
}
