package herald.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import herald.channel.ChannelName;
import herald.channel.ClientInfo;
import herald.channel.StreamPosition;
import herald.cluster.Cluster;
import herald.config.LimitProperties;
import herald.engine.Engine;
import herald.engine.HistoryPage;
import herald.engine.HistoryQuery;
import herald.engine.PresenceQuery;
import herald.protocol.HeraldException;
import herald.protocol.PublicationJson;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import reactor.core.publisher.Mono;
import tools.jackson.databind.JsonNode;

/** Reads about channels: history, presence and the active channels. */
@RestController
@RequestMapping("/api/v1/channels")
class ChannelsController {

  private final Engine engine;
  private final Cluster cluster;
  private final LimitProperties limits;

  ChannelsController(Engine engine, Cluster cluster, LimitProperties limits) {
    this.engine = engine;
    this.cluster = cluster;
    this.limits = limits;
  }

  /**
   * {@code GET /api/v1/channels/{channel}/history?since=&epoch=&limit=}: {@code limit} defaults to
   * {@code herald.limits.history-limit} and is capped at {@code max-history-limit}.
   */
  @GetMapping("/{channel}/history")
  Mono<History> history(
      @PathVariable String channel,
      @RequestParam(required = false) @Nullable Long since,
      @RequestParam(required = false) @Nullable String epoch,
      @RequestParam(required = false) @Nullable Integer limit) {
    return Mono.defer(
        () -> {
          ChannelName name = ApiRequests.channelName(channel, "channel");
          HistoryQuery query = HistoryQuery.requested(position(since, epoch), limit(limit), limits);
          return engine.history(name, query).map(ChannelsController::history);
        });
  }

  private static @Nullable StreamPosition position(@Nullable Long since, @Nullable String epoch) {
    if (since == null && epoch == null) {
      return null;
    }
    if (since == null || epoch == null || since < 0) {
      throw HeraldException.badRequest("'since' (a non-negative offset) and 'epoch' go together");
    }
    return new StreamPosition(since, epoch);
  }

  private static @Nullable Integer limit(@Nullable Integer limit) {
    if (limit != null && limit < 0) {
      throw HeraldException.badRequest("'limit' must not be negative");
    }
    return limit;
  }

  private static History history(HistoryPage page) {
    List<JsonNode> publications =
        page.publications().stream().<JsonNode>map(PublicationJson::toNode).toList();
    return new History(
        publications, page.latest().offset(), page.latest().epoch(), page.recovered());
  }

  /**
   * {@code GET /api/v1/channels/{channel}/presence?cursor=&limit=}: a page of at most {@code
   * herald.limits.presence-limit} entries; {@code cursor} in the reply (absent on the last page)
   * asks for the next.
   */
  @GetMapping("/{channel}/presence")
  Mono<Presence> presence(
      @PathVariable String channel,
      @RequestParam(required = false) @Nullable String cursor,
      @RequestParam(required = false) @Nullable Integer limit) {
    return Mono.defer(
        () -> {
          if (limit != null && limit < 1) {
            throw HeraldException.badRequest("'limit' must be positive");
          }
          return engine
              .presence(
                  ApiRequests.channelName(channel, "channel"),
                  PresenceQuery.requested(cursor, limit, limits))
              .map(page -> new Presence(page.clients(), page.cursor()));
        });
  }

  /** {@code GET /api/v1/channels}: channels with subscribers on any node, and how many. */
  @GetMapping
  Mono<Channels> channels() {
    return cluster
        .channels()
        .map(
            active ->
                new Channels(
                    active.subscribers().entrySet().stream()
                        .map(entry -> new ActiveChannel(entry.getKey(), entry.getValue()))
                        .toList(),
                    active.partial()));
  }

  /** A channel's history. */
  record History(List<JsonNode> publications, long offset, String epoch, boolean recovered) {}

  /** A page of a channel's presence; {@code cursor} is left out on the last page. */
  record Presence(
      List<ClientInfo> clients,
      @JsonInclude(JsonInclude.Include.NON_NULL) @Nullable String cursor) {}

  /** One active channel. */
  record ActiveChannel(String channel, int subscribers) {}

  /** The active channels; {@code partial} when some node did not answer in time. */
  record Channels(List<ActiveChannel> channels, boolean partial) {}
}
