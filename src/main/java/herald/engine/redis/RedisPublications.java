package herald.engine.redis;

import herald.channel.ChannelName;
import herald.channel.ChannelOptions;
import herald.channel.ChannelOptionsResolver;
import herald.channel.Publication;
import herald.channel.StreamPosition;
import herald.engine.Epochs;
import herald.engine.HistoryPage;
import herald.engine.HistoryQuery;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Mono;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * A channel's offsets and history in Redis: publishing (offset, history entry and pub/sub message
 * in one script) and reading history with the recovery rules of the in-memory engine.
 */
final class RedisPublications {

  private static final Duration MIN_META_TTL = Duration.ofHours(1);

  private final RedisConnector connector;
  private final ChannelOptionsResolver options;
  private final JsonMapper json;

  RedisPublications(RedisConnector connector, ChannelOptionsResolver options, JsonMapper json) {
    this.connector = connector;
    this.options = options;
    this.json = json;
  }

  /** Publishes; emits the publication as Redis numbered it. */
  Mono<Publication> publish(ChannelName channel, JsonNode data, @Nullable String from) {
    return Mono.defer(
        () -> {
          ChannelOptions channelOptions = options.optionsFor(channel);
          String[] keys = {
            RedisKeys.meta(channel), RedisKeys.history(channel), RedisKeys.pubsub(channel)
          };
          String[] args = {
            Epochs.next(),
            json.writeValueAsString(data),
            from == null ? "0" : "1",
            from == null ? "" : from,
            Integer.toString(channelOptions.historySize()),
            Long.toString(channelOptions.historyTtl().toMillis()),
            Long.toString(metaTtl(channelOptions).toMillis()),
            RedisKeys.pubsub(channel)
          };
          return connector
              .run(RedisScripts.PUBLISH, keys, args)
              .map(reply -> published(channel, data, from, reply));
        });
  }

  /**
   * Publishes a backend publication unless {@code idempotencyKey} was used on {@code channel}
   * within {@code window}: the check, the publish and remembering the key are one script. Emits the
   * outcome, and for a publication made now the publication too, for local delivery. (Its arguments
   * are {@link #publish}'s for a backend publication, plus the key and the window.)
   */
  Mono<OnceResult> publishOnce(
      ChannelName channel, JsonNode data, String idempotencyKey, Duration window) {
    return Mono.defer(
        () -> {
          ChannelOptions channelOptions = options.optionsFor(channel);
          // The idempotency key is third (RedisScripts.REPEAT); the pub/sub channel is also given
          // as the last key, where a Redis Cluster routes and publishes it.
          String[] keys = {
            RedisKeys.meta(channel),
            RedisKeys.history(channel),
            RedisKeys.idempotency(channel, idempotencyKey),
            RedisKeys.pubsub(channel)
          };
          String[] args = {
            Epochs.next(),
            json.writeValueAsString(data),
            "0",
            "",
            Integer.toString(channelOptions.historySize()),
            Long.toString(channelOptions.historyTtl().toMillis()),
            Long.toString(metaTtl(channelOptions).toMillis()),
            RedisKeys.pubsub(channel),
            Long.toString(Math.max(1, window.toMillis()))
          };
          return connector
              .run(RedisScripts.PUBLISH, keys, args)
              .map(
                  reply -> new OnceResult(published(channel, data, null, reply), reply.size() > 3));
        });
  }

  /** A {@link #publishOnce}: the publication made now, or the first one's position for a repeat. */
  record OnceResult(Publication publication, boolean repeat) {}

  private static Publication published(
      ChannelName channel, JsonNode data, @Nullable String from, List<Object> reply) {
    long offset = asLong(reply.get(0));
    String epoch = String.valueOf(reply.get(1));
    long ts = asLong(reply.get(2));
    return new Publication(channel, offset, epoch, data, ts, from);
  }

  /**
   * Reads the history and the current position. Writes nothing: a channel without a sequence reads
   * as offset 0 of an epoch stored nowhere (see {@link RedisScripts#HISTORY}).
   */
  Mono<HistoryPage> history(ChannelName channel, HistoryQuery query) {
    return Mono.defer(
        () -> {
          ChannelOptions channelOptions = options.optionsFor(channel);
          StreamPosition since = query.since();
          String[] keys = {RedisKeys.meta(channel), RedisKeys.history(channel)};
          String[] args = {
            Epochs.next(),
            Long.toString(channelOptions.historyTtl().toMillis()),
            since == null ? "" : Long.toString(since.offset()),
            since == null ? "" : since.epoch(),
            query.limit() == HistoryQuery.ALL ? "-1" : Integer.toString(query.limit()),
            query.maxBytes() == HistoryQuery.UNBOUNDED ? "-1" : Long.toString(query.maxBytes())
          };
          return connector
              .runQueued(RedisScripts.HISTORY, keys, args)
              .map(reply -> page(channel, reply));
        });
  }

  /**
   * The channel's position for a node that starts delivering it, giving the channel its epoch if it
   * has none yet (see {@link RedisScripts#ANCHOR}).
   */
  Mono<StreamPosition> anchor(ChannelName channel) {
    return Mono.defer(
        () -> {
          ChannelOptions channelOptions = options.optionsFor(channel);
          String[] keys = {RedisKeys.meta(channel)};
          String[] args = {Epochs.next(), Long.toString(metaTtl(channelOptions).toMillis())};
          return connector
              .runQueued(RedisScripts.ANCHOR, keys, args)
              .map(reply -> new StreamPosition(asLong(reply.get(1)), String.valueOf(reply.get(0))));
        });
  }

  private HistoryPage page(ChannelName channel, List<Object> reply) {
    String epoch = String.valueOf(reply.get(0));
    long offset = asLong(reply.get(1));
    boolean recovered = asLong(reply.get(2)) == 1;
    List<Publication> publications = new ArrayList<>(reply.size() - 3);
    for (int i = 3; i < reply.size(); i++) {
      JsonNode payload = json.readTree(String.valueOf(reply.get(i)));
      publications.add(RedisPayloads.toPublication(channel, payload));
    }
    return new HistoryPage(publications, new StreamPosition(offset, epoch), recovered);
  }

  static long asLong(Object value) {
    return value instanceof Number number ? number.longValue() : Long.parseLong(value.toString());
  }

  /** The position outlives the history, so that offsets keep growing across idle spells. */
  private static Duration metaTtl(ChannelOptions channelOptions) {
    Duration history = channelOptions.historyTtl().multipliedBy(2);
    return history.compareTo(MIN_META_TTL) > 0 ? history : MIN_META_TTL;
  }
}
