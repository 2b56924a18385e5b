package herald.engine;

import herald.channel.ChannelName;
import herald.channel.ClientInfo;
import herald.channel.Publication;
import java.time.Duration;
import java.util.List;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Mono;
import tools.jackson.databind.JsonNode;

/**
 * The broker beneath the channel registry: it assigns offsets, keeps history and presence, and
 * delivers publications to every node that subscribed to a channel.
 *
 * <p>Transports never see which engine runs; they reach it only through the registry and the API.
 * All methods are cold: nothing happens until subscription. Failures to reach the engine signal
 * {@link EngineUnavailableException}.
 */
public interface Engine {

  /**
   * Publishes {@code data} to {@code channel}: assigns the next offset, appends to the channel's
   * history and delivers to every subscribed node, as one step.
   *
   * @param from the publishing user, or {@code null} for backend publications
   * @return the publication as subscribers will see it; emits once
   */
  Mono<Publication> publish(ChannelName channel, JsonNode data, @Nullable String from);

  /**
   * Publishes a backend publication like {@link #publish}, once per {@code idempotencyKey} and
   * channel within {@code window}: a repeat within it publishes nothing and emits the first
   * publication's position, on every node (README, Backend API: idempotent publish). The check and
   * the publish are one atomic step, so concurrent repeats publish once. Emits once.
   */
  Mono<PublishOutcome> publishOnce(
      ChannelName channel, JsonNode data, String idempotencyKey, Duration window);

  /** Reads {@code channel}'s history and current position. Emits once. */
  Mono<HistoryPage> history(ChannelName channel, HistoryQuery query);

  /**
   * Starts delivering {@code channel}'s publications and presence events to this node's listener.
   * Completes once delivery is live: every publication accepted after completion is delivered.
   */
  Mono<Void> subscribe(ChannelName channel);

  /** Stops delivering {@code channel} to this node. */
  Mono<Void> unsubscribe(ChannelName channel);

  /** Adds {@code client} to {@code channel}'s presence and announces the join where enabled. */
  Mono<Void> join(ChannelName channel, ClientInfo client);

  /**
   * Removes {@code client} from {@code channel}'s presence and announces the leave where enabled.
   */
  Mono<Void> leave(ChannelName channel, ClientInfo client);

  /**
   * A page of the connections currently subscribed to {@code channel}, on every node, in the order
   * of their connection ids.
   */
  Mono<PresencePage> presence(ChannelName channel, PresenceQuery query);

  /** Every connection currently subscribed to {@code channel}, on every node. */
  default Mono<List<ClientInfo>> presence(ChannelName channel) {
    return presence(channel, new PresenceQuery(null, Integer.MAX_VALUE)).map(PresencePage::clients);
  }

  /**
   * Checks that the engine can serve requests now, for readiness. Completes when it can; fails with
   * {@link EngineUnavailableException} when it cannot.
   */
  default Mono<Void> ping() {
    return Mono.empty();
  }

  /**
   * Sets the one listener that receives this node's deliveries. Called once, by the registry,
   * before any subscription.
   */
  void attach(EngineListener listener);
}
