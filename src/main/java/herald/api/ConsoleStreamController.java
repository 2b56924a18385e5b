package herald.api;

import herald.channel.ChannelName;
import herald.channel.Publication;
import herald.channel.StreamPosition;
import herald.cluster.Cluster;
import herald.cluster.NodeFigures;
import herald.engine.Engine;
import herald.engine.HistoryQuery;
import herald.protocol.PublicationJson;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.springframework.http.MediaType;
import org.springframework.http.codec.ServerSentEvent;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * {@code GET /api/v1/stream}: what the operator console ({@code /console}) shows, as SSE behind the
 * API key. Every second a {@code snapshot} event (every node's figures and the busiest channels,
 * cluster-wide), and, with {@code ?channel=}, that channel's new publications as {@code message}
 * events, read from its history so that they come from every node.
 */
@RestController
@RequestMapping("/api/v1")
class ConsoleStreamController {

  static final Duration PERIOD = Duration.ofSeconds(1);
  static final int TOP_CHANNELS = 20;
  static final int RECENT = 20;

  private final Cluster cluster;
  private final Engine engine;

  ConsoleStreamController(Cluster cluster, Engine engine) {
    this.cluster = cluster;
    this.engine = engine;
  }

  @GetMapping(path = "/stream", produces = MediaType.TEXT_EVENT_STREAM_VALUE)
  Flux<ServerSentEvent<Object>> stream(@RequestParam(required = false) @Nullable String channel) {
    ChannelName watched =
        channel == null || channel.isBlank() ? null : ApiRequests.channelName(channel, "channel");
    Watch watch = new Watch();
    return Flux.interval(Duration.ZERO, PERIOD)
        .onBackpressureDrop()
        .concatMap(
            tick -> snapshot().concatWith(watched == null ? Flux.empty() : watch.next(watched)), 1);
  }

  private Mono<ServerSentEvent<Object>> snapshot() {
    return Mono.zip(cluster.nodes(), cluster.channels())
        .map(
            both -> {
              List<ChannelCount> top =
                  both.getT2().subscribers().entrySet().stream()
                      .sorted(
                          Map.Entry.<String, Integer>comparingByValue(Comparator.reverseOrder())
                              .thenComparing(Map.Entry.comparingByKey()))
                      .limit(TOP_CHANNELS)
                      .map(e -> new ChannelCount(e.getKey(), e.getValue()))
                      .toList();
              Snapshot snapshot =
                  new Snapshot(
                      both.getT1().nodes(),
                      top,
                      both.getT2().subscribers().size(),
                      both.getT1().partial() || both.getT2().partial(),
                      System.currentTimeMillis());
              return ServerSentEvent.<Object>builder(snapshot).event("snapshot").build();
            });
  }

  /** The watched channel's position between ticks; one stream reads it on one thread at a time. */
  private final class Watch {

    private @Nullable StreamPosition last;

    Flux<ServerSentEvent<Object>> next(ChannelName channel) {
      return engine
          .history(channel, HistoryQuery.positionOnly())
          .flatMapMany(
              page -> {
                StreamPosition latest = page.latest();
                StreamPosition from = last;
                if (from == null
                    || !from.epoch().equals(latest.epoch())
                    || latest.offset() - from.offset() > RECENT) {
                  from = new StreamPosition(Math.max(0, latest.offset() - RECENT), latest.epoch());
                }
                if (from.offset() >= latest.offset()) {
                  last = latest;
                  return Flux.empty();
                }
                return engine
                    .history(channel, new HistoryQuery(from, RECENT))
                    .flatMapIterable(recent -> recent.publications())
                    .doOnNext(publication -> last = position(publication))
                    .map(
                        publication ->
                            ServerSentEvent.<Object>builder(PublicationJson.toNode(publication))
                                .event("message")
                                .build());
              })
          .onErrorResume(error -> Flux.empty());
    }

    private static StreamPosition position(Publication publication) {
      return new StreamPosition(publication.offset(), publication.epoch());
    }
  }

  /** One {@code snapshot} event. */
  record Snapshot(
      List<NodeFigures> nodes,
      List<ChannelCount> channels,
      int activeChannels,
      boolean partial,
      long ts) {}

  /** A channel and its subscribers, summed over the cluster. */
  record ChannelCount(String channel, int subscribers) {}
}
