package herald.cluster;

import herald.channel.ChannelName;
import herald.cluster.ControlMessages.Operation;
import herald.cluster.ControlMessages.Reply;
import herald.cluster.ControlMessages.Request;
import herald.engine.Backplane;
import herald.engine.EngineUnavailableException;
import herald.engine.Epochs;
import herald.protocol.ErrorCode;
import herald.protocol.HeraldException;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;

/**
 * Carries an API action to every node and gathers their replies: the request is broadcast on the
 * backplane, each node acts on its own connections and answers the asking node, which waits until
 * every node listed in the directory has answered or the request timeout passes.
 */
final class ClusterControl {

  private static final Logger log = LoggerFactory.getLogger(ClusterControl.class);

  // Requests waiting for replies; the API's rate limit keeps it far below this.
  private static final int MAX_PENDING = 1_000;

  private final Backplane backplane;
  private final LocalNode local;
  private final ControlMessages messages;
  private final Duration timeout;
  private final Map<String, Pending> pending = new ConcurrentHashMap<>();
  private static final Duration LOG_INTERVAL = Duration.ofSeconds(10);
  private final AtomicLong refusedSinceLog = new AtomicLong();
  private final AtomicLong lastRefusalLog = new AtomicLong();

  ClusterControl(Backplane backplane, LocalNode local, ControlMessages messages, Duration timeout) {
    this.backplane = backplane;
    this.local = local;
    this.messages = messages;
    this.timeout = timeout;
    backplane.listen(local.name(), this::onMessage);
  }

  /** Every node's replies to one request, and whether some node did not answer in time. */
  record Gathered(List<Reply> replies, boolean partial) {}

  /**
   * Asks every live node to perform {@code operation}. When the backplane cannot be reached, only
   * this node acts, and the result says it is partial.
   */
  Mono<Gathered> ask(
      Operation operation,
      @Nullable String user,
      @Nullable ChannelName channel,
      boolean reconnect) {
    Request request =
        new Request(
            Epochs.next(),
            local.name(),
            operation,
            user,
            channel == null ? null : channel.value(),
            reconnect);
    return backplane
        .reports()
        // This node answers too, listed yet or not (its first report may still be on its way).
        .flatMap(live -> gather(request, withThisNode(live.keySet())))
        .onErrorResume(
            EngineUnavailableException.class,
            error -> {
              log.warn(
                  "cluster request {} acted on this node only: {}", operation, error.toString());
              return perform(request).map(reply -> new Gathered(List.of(reply), true));
            });
  }

  private Set<String> withThisNode(Set<String> listed) {
    if (listed.contains(local.name())) {
      return listed;
    }
    Set<String> expected = new HashSet<>(listed);
    expected.add(local.name());
    return expected;
  }

  private Mono<Gathered> gather(Request request, Set<String> expected) {
    return Mono.defer(
        () -> {
          if (pending.size() >= MAX_PENDING) {
            return Mono.error(
                new HeraldException(
                    ErrorCode.ENGINE_UNAVAILABLE, "too many cluster requests in flight"));
          }
          Pending waiting = new Pending(expected);
          pending.put(request.id(), waiting);
          return backplane
              .broadcast(messages.encode(request))
              .then(waiting.complete().timeout(timeout, Mono.empty()))
              .then(Mono.fromSupplier(waiting::gathered))
              .doFinally(signal -> pending.remove(request.id()));
        });
  }

  /** Never throws: it runs on the backplane's delivery thread. */
  private void onMessage(String text) {
    try {
      Object message = messages.decode(text);
      if (message instanceof Request request) {
        perform(request)
            .flatMap(reply -> backplane.send(request.replyTo(), messages.encode(reply)))
            .subscribe(
                done -> {},
                error -> log.warn("cluster request {} failed here: {}", request, error.toString()));
      } else if (message instanceof Reply reply) {
        Pending waiting = pending.get(reply.id());
        if (waiting != null) {
          waiting.add(reply);
        }
      }
    } catch (ControlMessages.UnverifiedMessageException e) {
      refused(e.getMessage());
    } catch (RuntimeException e) {
      log.warn("unreadable cluster message dropped: {}", e.toString());
    }
  }

  /**
   * Logs a refused message: the first at once, then at most one line per {@link #LOG_INTERVAL} with
   * the count since, so a flood of forgeries cannot flood the log.
   */
  private void refused(String reason) {
    long dropped = refusedSinceLog.incrementAndGet();
    long now = System.nanoTime();
    long last = lastRefusalLog.get();
    if ((last == 0 || now - last >= LOG_INTERVAL.toNanos())
        && lastRefusalLog.compareAndSet(last, now == 0 ? 1 : now)) {
      refusedSinceLog.addAndGet(-dropped);
      log.warn(
          "cluster control message dropped: not signed with this cluster's key, too old or"
              + " replayed (last: {}; {} dropped); is something other than a Herald node publishing"
              + " on herald:control, or do nodes have different herald.cluster.secret?",
          reason,
          dropped);
    }
  }

  private Mono<Reply> perform(Request request) {
    return switch (request.operation()) {
      case CHANNELS -> Mono.fromSupplier(() -> reply(request, 0, local.channels()));
      case UNSUBSCRIBE ->
          local
              .unsubscribe(
                  String.valueOf(request.user()), ChannelName.of(String.valueOf(request.channel())))
              .map(count -> reply(request, count, Map.of()));
      case SUBSCRIBE ->
          local
              .subscribe(
                  String.valueOf(request.user()), ChannelName.of(String.valueOf(request.channel())))
              .map(
                  counts ->
                      new Reply(
                          request.id(),
                          local.name(),
                          counts.subscribed(),
                          Map.of(),
                          counts.refused()));
      case DISCONNECT ->
          Mono.fromSupplier(
              () ->
                  reply(
                      request,
                      local.disconnect(String.valueOf(request.user()), request.reconnect()),
                      Map.of()));
    };
  }

  private Reply reply(Request request, int connections, Map<String, Integer> channels) {
    return new Reply(request.id(), local.name(), connections, channels);
  }

  /** The replies to one request so far; complete once every expected node answered. */
  private static final class Pending {
    private final Set<String> expected;
    private final Map<String, Reply> replies = new ConcurrentHashMap<>();
    private final Sinks.One<Void> complete = Sinks.one();

    Pending(Set<String> expected) {
      this.expected = expected;
      if (expected.isEmpty()) {
        complete.tryEmitEmpty();
      }
    }

    void add(Reply reply) {
      replies.put(reply.node(), reply);
      if (replies.keySet().containsAll(expected)) {
        complete.tryEmitEmpty();
      }
    }

    Mono<Void> complete() {
      return complete.asMono();
    }

    Gathered gathered() {
      return new Gathered(List.copyOf(replies.values()), !replies.keySet().containsAll(expected));
    }
  }
}
