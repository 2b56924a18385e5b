package herald.api;

import herald.channel.ChannelName;
import herald.channel.Publication;
import herald.engine.Engine;
import herald.observability.HeraldMetrics;
import herald.ratelimit.RateLimits;
import java.util.List;
import java.util.Set;
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

  private final Engine engine;
  private final ApiRequests requests;
  private final RateLimits limits;
  private final HeraldMetrics metrics;

  PublishController(Engine engine, ApiRequests requests, RateLimits limits, HeraldMetrics metrics) {
    this.engine = engine;
    this.requests = requests;
    this.limits = limits;
    this.metrics = metrics;
  }

  @PostMapping("/publish")
  Mono<Published> publish(@RequestBody JsonNode body) {
    return Mono.defer(
        () -> {
          requests.onlyFields(body, Set.of("channel", "data"));
          ChannelName channel = requests.channel(body, "channel");
          JsonNode data = requests.data(body);
          limits.acquireApiPublishes(1);
          return engine
              .publish(channel, data, null)
              .doOnNext(published -> metrics.published(HeraldMetrics.Source.API, 1))
              .map(PublishController::result);
        });
  }

  /** Publishes to each channel in turn; the results come in the order of the request. */
  @PostMapping("/broadcast")
  Mono<Broadcast> broadcast(@RequestBody JsonNode body) {
    return Mono.defer(
        () -> {
          requests.onlyFields(body, Set.of("channels", "data"));
          List<ChannelName> channels = requests.channels(body, "channels", MAX_BROADCAST_CHANNELS);
          JsonNode data = requests.data(body);
          limits.acquireApiPublishes(channels.size());
          return Flux.fromIterable(channels)
              .concatMap(channel -> engine.publish(channel, data, null))
              .doOnNext(published -> metrics.published(HeraldMetrics.Source.API, 1))
              .map(PublishController::resultWithChannel)
              .collectList()
              .map(Broadcast::new);
        });
  }

  /** The answer to {@code publish}. */
  record Published(long offset, String epoch) {}

  /** One channel's part of the answer to {@code broadcast}. */
  record ChannelPublished(String channel, long offset, String epoch) {}

  /** The answer to {@code broadcast}. */
  record Broadcast(List<ChannelPublished> results) {}

  private static Published result(Publication publication) {
    return new Published(publication.offset(), publication.epoch());
  }

  private static ChannelPublished resultWithChannel(Publication publication) {
    return new ChannelPublished(
        publication.channel().value(), publication.offset(), publication.epoch());
  }
}
