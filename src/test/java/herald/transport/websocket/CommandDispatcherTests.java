package herald.transport.websocket;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;
import static org.awaitility.Awaitility.await;

import herald.channel.ChannelName;
import herald.config.LimitProperties;
import herald.connection.ClientSession;
import herald.connection.ClientSessions;
import herald.engine.memory.InMemoryBackplane;
import herald.engine.memory.InMemoryEngine;
import herald.observability.HeraldMetrics;
import herald.protocol.Command;
import herald.protocol.ErrorCode;
import herald.protocol.JsonFrameCodec;
import herald.proxy.BackendProxy;
import herald.proxy.ClientPublications;
import herald.registry.ChannelRegistry;
import herald.security.ChannelPattern;
import herald.security.ChannelPermissions;
import herald.security.Credentials;
import herald.security.TokenVerifier;
import herald.support.TestChannelOptions;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.util.ReferenceCountUtil;
import java.lang.reflect.RecordComponent;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.util.unit.DataSize;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.JsonNodeFactory;

/** The dispatcher on a real engine, registry and (embedded) Netty channel. */
class CommandDispatcherTests {

  private static final Duration TIMEOUT = Duration.ofSeconds(5);

  private final Clock clock = Clock.systemUTC();
  private final InMemoryEngine engine =
      new InMemoryEngine(
          new TestChannelOptions(), clock, Duration.ofHours(1), Schedulers.parallel());
  private final ClientSessions sessions =
      new ClientSessions(
          "node-1",
          engine,
          new ChannelRegistry(engine, 100),
          new ChannelPermissions(new TestChannelOptions(), clock),
          LimitProperties.of(DataSize.ofKilobytes(64), 128, 100, 100),
          new InMemoryBackplane(clock));
  private final EmbeddedChannel channel = new EmbeddedChannel();
  private final JsonMapper json = JsonMapper.builder().build();

  @AfterEach
  void close() {
    channel.finishAndReleaseAll();
    engine.close();
  }

  /**
   * Every kind of command gets its own reply, never the 500 that the dispatcher's fallback gives a
   * command it has no branch for: a new {@link Command} added without its handling fails here.
   */
  @Test
  void everyCommandSubtypeIsHandled() throws Exception {
    Class<?>[] kinds = Command.class.getPermittedSubclasses();
    assertThat(kinds).as("Command is sealed").isNotNull().hasSizeGreaterThan(1);
    long id = 1;
    for (Class<?> kind : kinds) {
      Command command = sample(kind.asSubclass(Command.class), id);
      Map<String, Object> reply = dispatch(command);
      assertThat(reply.get("id")).as("reply id for %s", kind.getSimpleName()).isEqualTo((int) id);
      if (reply.get("error") instanceof Map<?, ?> error) {
        assertThat(error.get("code"))
            .as("%s answered %s", kind.getSimpleName(), error)
            .isNotEqualTo(ErrorCode.INTERNAL.code());
      }
      id++;
    }
  }

  @Test
  void aSecondHistoryRequestWaitsUntilTheFirstReplyReachedTheSocket() {
    ClientSession client = sessions.open("websocket", alice(), new NoDeliveries());
    CommandDispatcher dispatcher = dispatcher(client);
    ChannelName channel = ChannelName.of("walk:history");
    dispatcher.dispatch(new Command.History(1, channel, null, null)).block(TIMEOUT);
    AtomicBoolean second = new AtomicBoolean();
    dispatcher
        .dispatch(new Command.Presence(2, channel, null, null))
        .subscribe(null, null, () -> second.set(true));
    assertThat(second).as("waits while the first reply is still queued").isFalse();

    this.channel.runPendingTasks();
    await().atMost(TIMEOUT).untilTrue(second);
    this.channel.runPendingTasks();

    assertThat(written()).hasSize(2);
    client.close().block(TIMEOUT);
  }

  /** The channel's one closing handshake: dispatchers made for one test share the channel. */
  private ClosingHandshake closing() {
    ClosingHandshake installed = (ClosingHandshake) channel.pipeline().get(ClosingHandshake.NAME);
    return installed != null ? installed : ClosingHandshake.install(channel, Duration.ofSeconds(1));
  }

  private CommandDispatcher dispatcher(ClientSession client) {
    HeraldMetrics metrics = HeraldMetrics.unregistered();
    ChannelWriter writer =
        new ChannelWriter(
            channel,
            new JsonFrameCodec(),
            100,
            1 << 20,
            Duration.ofSeconds(1),
            metrics.websocket());
    WebSocketConnection connection =
        new WebSocketConnection(writer, closing(), new Liveness(clock), metrics.websocket());
    return new CommandDispatcher(
        client,
        connection,
        sessions,
        new FixedTokens(),
        json,
        LimitProperties.of(DataSize.ofKilobytes(64), 128, 100, 100),
        clock,
        metrics,
        true,
        ClientPublications.permissionsOnly(new ChannelPermissions(new TestChannelOptions(), clock)),
        BackendProxy.none());
  }

  private Map<String, Object> dispatch(Command command) {
    ClientSession client = sessions.open("websocket", alice(), new NoDeliveries());
    CommandDispatcher dispatcher = dispatcher(client);
    dispatcher.dispatch(command).block(TIMEOUT);
    channel.runPendingTasks();
    List<String> frames = written();
    client.close().block(TIMEOUT);
    assertThat(frames).as("replies to %s", command).hasSize(1);
    @SuppressWarnings("unchecked")
    Map<String, Object> reply = json.readValue(frames.get(0), Map.class);
    return reply;
  }

  /** An instance of {@code kind} with well-formed values for each of its components. */
  private static Command sample(Class<? extends Command> kind, long id) throws Exception {
    RecordComponent[] components = kind.getRecordComponents();
    Class<?>[] types = new Class<?>[components.length];
    Object[] values = new Object[components.length];
    for (int i = 0; i < components.length; i++) {
      types[i] = components[i].getType();
      values[i] = sampleValue(kind, components[i], id);
    }
    return kind.getDeclaredConstructor(types).newInstance(values);
  }

  private static Object sampleValue(Class<?> kind, RecordComponent component, long id) {
    Class<?> type = component.getType();
    if (component.getName().equals("id")) {
      return id;
    }
    if (type == ChannelName.class) {
      return ChannelName.of("walk:" + kind.getSimpleName());
    }
    if (type == String.class) {
      return "a-token";
    }
    if (type == JsonNode.class) {
      return JsonNodeFactory.instance.numberNode(1);
    }
    if (type == ErrorCode.class) {
      return ErrorCode.BAD_REQUEST;
    }
    if (type == Integer.class) {
      return 10;
    }
    if (!type.isPrimitive()) {
      return null; // the optional parts (since, ...) are nullable
    }
    return fail("no sample value for %s.%s", kind.getSimpleName(), component.getName());
  }

  private List<String> written() {
    List<String> frames = new ArrayList<>();
    Object message;
    while ((message = channel.readOutbound()) != null) {
      message = OutboundFrames.decoded(message);
      if (message instanceof TextWebSocketFrame text) {
        frames.add(text.content().toString(StandardCharsets.UTF_8));
      }
      ReferenceCountUtil.release(message);
    }
    return frames;
  }

  private static Credentials alice() {
    return new Credentials(
        "alice", List.of(new ChannelPattern("*")), List.of(new ChannelPattern("*")), null, false);
  }

  /**
   * Accepts any token as alice's: this test is about dispatch, not token checks (those run against
   * the real decoder in the integration tests).
   */
  private static final class FixedTokens implements TokenVerifier {
    @Override
    public Mono<Credentials> verify(String token) {
      return Mono.just(alice());
    }

    @Override
    public boolean secure() {
      return true;
    }
  }

  private static final class NoDeliveries implements herald.connection.Connection {
    @Override
    public void deliver(herald.channel.Publication publication) {}

    @Override
    public void reset(herald.channel.ChannelName channel, herald.channel.StreamPosition position) {}

    @Override
    public void joined(herald.channel.ChannelName channel, herald.channel.ClientInfo client) {}

    @Override
    public void left(herald.channel.ChannelName channel, herald.channel.ClientInfo client) {}

    @Override
    public void revoked(herald.channel.ChannelName channel, String reason) {}

    @Override
    public void disconnect(herald.protocol.CloseCode code, String reason) {}
  }
}
