package herald.engine.redis;

import herald.channel.ChannelName;
import herald.channel.Publication;
import herald.engine.EngineUnavailableException;
import herald.engine.Epochs;
import io.lettuce.core.cluster.SlotHash;
import io.lettuce.core.cluster.event.ClusterTopologyChangedEvent;
import io.lettuce.core.cluster.models.partitions.Partitions;
import io.lettuce.core.cluster.models.partitions.RedisClusterNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.Disposable;
import reactor.core.Disposables;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Keeps a failover from reusing offsets silently (README "Redis Cluster", "Failover").
 *
 * <p>Replication is asynchronous: a master may acknowledge publications, send them to subscribers
 * and die before its replica has them. The promoted replica then numbers the next publications with
 * the same offsets, in the same epoch, and a subscriber that saw the lost ones would take the new
 * ones for duplicates. Only someone who saw the lost publications can tell, so this node remembers,
 * per channel (the last {@value #REMEMBERED} channels), the latest publication it saw: from its own
 * publishes' replies and from pub/sub. It asks Redis to check that position ({@link #CHECK}) when
 *
 * <ul>
 *   <li>a publish is answered with an offset at or below the remembered one (a late reply, or a
 *       reused offset);
 *   <li>pub/sub brings the remembered offset again with another timestamp;
 *   <li>the master of a remembered channel's slot changed (a failover or a slot move).
 * </ul>
 *
 * The check runs in Redis, so it decides on what Redis holds, not on what a node guesses: when the
 * channel's offset is below the remembered one, or its history holds another publication at that
 * offset, the acknowledged tail was lost, and the channel moves to a new epoch with no history.
 * Every subscriber's next read or publication then carries the new epoch, so it is told ({@code
 * reset}, {@code recovered:false}) instead of left silently behind. A publish whose reply reused an
 * offset fails with 503; the publication may have reached some subscribers before their reset.
 *
 * <p>What it cannot see: a lost tail no node remembers (every node that saw it restarted or forgot
 * the channel), and a reused offset of a channel that keeps no history, whose offset has grown past
 * the remembered one before the check.
 */
final class OffsetFence implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(OffsetFence.class);

  /** Channels remembered; the oldest is forgotten first. About 150 bytes each. */
  static final int REMEMBERED = 100_000;

  private static final int CONCURRENT_CHECKS = 16;

  /**
   * Moves a channel to a new epoch when its stored sequence lost a publication a node saw. KEYS:
   * meta, history. ARGV: the epoch, offset and timestamp (ms) the node saw, the new epoch. Returns
   * 1 when it moved the channel, else 0.
   */
  static final RedisScripts.Script CHECK =
      new RedisScripts.Script(
          """
          local meta = redis.call('HMGET', KEYS[1], 'epoch', 'offset')
          if meta[1] ~= ARGV[1] then return 0 end
          local stored = tonumber(meta[2] or '0')
          local known = tonumber(ARGV[2])
          local lost = stored < known
          if not lost then
            local len = redis.call('LLEN', KEYS[2])
            local index = known - (stored - len + 1)
            if index >= 0 and index < len then
              local entry = redis.call('LINDEX', KEYS[2], index)
              lost = string.match(entry, '^{"ts":(%d+)') ~= ARGV[3]
            end
          end
          if not lost then return 0 end
          redis.call('HSET', KEYS[1], 'epoch', ARGV[4], 'offset', 0)
          redis.call('DEL', KEYS[2])
          return 1
          """);

  private final RedisConnector connector;
  private final Map<ChannelName, Seen> seen =
      new LinkedHashMap<>(1024, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<ChannelName, Seen> eldest) {
          return size() > REMEMBERED;
        }
      };
  private final Disposable topology;
  private volatile Consumer<ChannelName> moved = channel -> {};

  OffsetFence(RedisConnector connector) {
    this.connector = connector;
    this.topology =
        connector.clusterClient() == null
            ? Disposables.disposed()
            : connector
                .events()
                .filter(ClusterTopologyChangedEvent.class::isInstance)
                .onBackpressureLatest()
                .concatMap(event -> checkMoved(), 1)
                .subscribe(done -> {}, error -> log.error("offset fence stopped", error));
  }

  /** Who hears that a channel moved to a new epoch (to read it again). */
  void onMoved(Consumer<ChannelName> moved) {
    this.moved = moved;
  }

  /**
   * Checks a publish's reply: emits it, or fails with {@link EngineUnavailableException} when Redis
   * reused its offset after losing publications (the channel then has a new epoch).
   */
  Mono<Publication> published(Publication publication) {
    Seen before = remember(publication);
    if (before == null
        || !before.epoch.equals(publication.epoch())
        || publication.offset() > before.offset) {
      return Mono.just(publication);
    }
    return check(publication.channel(), before)
        .flatMap(
            lost ->
                lost
                    ? Mono.error(
                        new EngineUnavailableException(
                            "engine unavailable: Redis lost acknowledged publications of the"
                                + " channel; it starts a new epoch"))
                    : Mono.just(publication));
  }

  /** Notes a publication from pub/sub; a reused offset starts a check in the background. */
  void delivered(Publication publication) {
    Seen before = remember(publication);
    if (before != null
        && before.epoch.equals(publication.epoch())
        && before.offset == publication.offset()
        && before.ts != publication.ts()) {
      check(publication.channel(), before)
          .subscribe(lost -> {}, error -> log.debug("check failed: {}", error.toString()));
    }
  }

  /** Remembers {@code publication} when it is the latest seen; returns what was remembered. */
  private @Nullable Seen remember(Publication publication) {
    synchronized (seen) {
      Seen before = seen.get(publication.channel());
      if (before == null
          || !before.epoch.equals(publication.epoch())
          || publication.offset() > before.offset) {
        seen.put(
            publication.channel(),
            new Seen(
                publication.epoch(),
                publication.offset(),
                publication.ts(),
                masterOf(publication.channel())));
      }
      return before;
    }
  }

  /** Checks every remembered channel whose slot has another master now. */
  private Mono<Void> checkMoved() {
    List<Map.Entry<ChannelName, Seen>> changed = new ArrayList<>();
    synchronized (seen) {
      for (Map.Entry<ChannelName, Seen> entry : seen.entrySet()) {
        String master = masterOf(entry.getKey());
        if (master != null && !master.equals(entry.getValue().master)) {
          Seen now = entry.getValue().at(master);
          entry.setValue(now);
          changed.add(Map.entry(entry.getKey(), now));
        }
      }
    }
    if (changed.isEmpty()) {
      return Mono.empty();
    }
    log.info("engine=redis channels={} master changed, checking their offsets", changed.size());
    return Flux.fromIterable(changed)
        .flatMap(
            entry ->
                check(entry.getKey(), entry.getValue())
                    .onErrorResume(
                        error -> {
                          log.debug("channel={} check failed: {}", entry.getKey(), error);
                          return Mono.empty();
                        }),
            CONCURRENT_CHECKS)
        .then();
  }

  private Mono<Boolean> check(ChannelName channel, Seen known) {
    String[] keys = {RedisKeys.meta(channel), RedisKeys.history(channel)};
    String[] args = {
      known.epoch, Long.toString(known.offset), Long.toString(known.ts), Epochs.next()
    };
    return connector
        .runQueued(CHECK, keys, args)
        .map(reply -> !reply.isEmpty() && RedisPublications.asLong(reply.get(0)) == 1)
        .doOnNext(
            lost -> {
              if (lost) {
                log.warn(
                    "channel={} epoch={} offset={} lost by Redis (failover); new epoch",
                    channel,
                    known.epoch,
                    known.offset);
                moved.accept(channel);
              }
            });
  }

  private @Nullable String masterOf(ChannelName channel) {
    Partitions partitions = connector.partitions();
    if (partitions == null) {
      return null;
    }
    RedisClusterNode master = partitions.getMasterBySlot(SlotHash.getSlot(RedisKeys.meta(channel)));
    return master == null ? null : master.getNodeId();
  }

  @Override
  public void close() {
    topology.dispose();
  }

  private record Seen(String epoch, long offset, long ts, @Nullable String master) {
    Seen at(String newMaster) {
      return new Seen(epoch, offset, ts, newMaster);
    }
  }
}
