package herald.api;

import herald.channel.ChannelName;
import herald.channel.Publication;
import herald.channel.StreamPosition;
import herald.engine.Engine;
import herald.engine.PublishOutcome;
import herald.observability.HeraldMetrics;
import herald.ratelimit.RateLimits;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.jspecify.annotations.Nullable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import tools.jackson.databind.JsonNode;

/** {@code POST /api/v1/publish} and {@code /broadcast}: backends publish without a user. */
@RestController
@RequestMapping("/api/v1")
class PublishController {

  /** Most channels one broadcast may name. */
  static final int MAX_BROADCAST_CHANNELS = 1000;

  private static final String IDEMPOTENCY_KEY = "idempotencyKey";

  private final Engine engine;
  private final ApiRequests requests;
  private final RateLimits limits;
  private final HeraldMetrics metrics;
  private final Duration idempotencyWindow;

  PublishController(
      Engine engine,
      ApiRequests requests,
      RateLimits limits,
      HeraldMetrics metrics,
      IdempotencyProperties idempotency) {
    this.engine = engine;
    this.requests = requests;
    this.limits = limits;
    this.metrics = metrics;
    this.idempotencyWindow = idempotency.idempotencyWindow();
  }

  @PostMapping("/publish")
  Mono<Published> publish(@RequestBody JsonNode body) {
    return Mono.defer(
        () -> {
          requests.onlyFields(body, Set.of("channel", "data", IDEMPOTENCY_KEY));
          ChannelName channel = requests.channel(body, "channel");
          JsonNode data = requests.data(body);
          String key = requests.idempotencyKey(body, IDEMPOTENCY_KEY);
          limits.acquireApiPublishes(1);
          return publish(channel, data, key).map(PublishController::result);
        });
  }

  /** Publishes to each channel in turn; the results come in the order of the request. */
  @PostMapping("/broadcast")
  Mono<Broadcast> broadcast(@RequestBody JsonNode body) {
    return Mono.defer(
        () -> {
          requests.onlyFields(body, Set.of("channels", "data", IDEMPOTENCY_KEY));
          List<ChannelName> channels = requests.channels(body, "channels", MAX_BROADCAST_CHANNELS);
          JsonNode data = requests.data(body);
          String key = requests.idempotencyKey(body, IDEMPOTENCY_KEY);
          limits.acquireApiPublishes(channels.size());
          return Flux.fromIterable(channels)
              .concatMap(
                  channel ->
                      publish(channel, data, key)
                          .map(position -> resultWithChannel(channel, position)))
              .collectList()
              .map(Broadcast::new);
        });
  }

  /**
   * Publishes once per idempotency key and channel when a key is given (a broadcast's key applies
   * to each of its channels separately); counts only what was published.
   */
  private Mono<StreamPosition> publish(ChannelName channel, JsonNode data, @Nullable String key) {
    if (key == null) {
      return engine
          .publish(channel, data, null)
          .doOnNext(published -> metrics.published(HeraldMetrics.Source.API, 1))
          .map(Publication::position);
    }
    return engine
        .publishOnce(channel, data, key, idempotencyWindow)
        .doOnNext(
            outcome -> {
              if (!outcome.repeat()) {
                metrics.published(HeraldMetrics.Source.API, 1);
              }
            })
        .map(PublishOutcome::position);
  }

  /** The answer to {@code publish}. */
  record Published(long offset, String epoch) {}

  /** One channel's part of the answer to {@code broadcast}. */
  record ChannelPublished(String channel, long offset, String epoch) {}

  /** The answer to {@code broadcast}. */
  record Broadcast(List<ChannelPublished> results) {}

  private static Published result(StreamPosition position) {
    return new Published(position.offset(), position.epoch());
  }

  private static ChannelPublished resultWithChannel(ChannelName channel, StreamPosition position) {
    return new ChannelPublished(channel.value(), position.offset(), position.epoch());
  }
}
