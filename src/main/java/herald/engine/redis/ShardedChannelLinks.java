package herald.engine.redis;

import herald.channel.ChannelName;
import io.lettuce.core.RedisURI;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.SlotHash;
import io.lettuce.core.cluster.event.ClusterTopologyChangedEvent;
import io.lettuce.core.cluster.models.partitions.Partitions;
import io.lettuce.core.cluster.models.partitions.RedisClusterNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.Disposable;
import reactor.core.Disposables;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;
import reactor.util.retry.Retry;

/**
 * Channel subscriptions on a Redis Cluster, owned by Herald rather than left to Lettuce: sharded
 * pub/sub ({@code SSUBSCRIBE}), so that a publication stays on the shard of its channel's slot, one
 * {@link ShardLink} per master, each {@code SSUBSCRIBE} for the channels of one slot (Redis refuses
 * one command across slots, and Lettuce's own resubscribe after a reconnect sends them all at once;
 * so the links never reconnect by themselves).
 *
 * <p>The links follow the cluster by comparing what the node wants with what Redis confirmed
 * ({@link #reconcile}): for every wanted channel, the master that serves its slot now must have
 * confirmed it; what is missing is subscribed, slot by slot, and then reported to the owner, whose
 * feeds fill the gap from history; what is confirmed where it should not be is unsubscribed. The
 * comparison runs when the topology changes (Lettuce's periodic and adaptive refresh), when a link
 * is lost (a master died, {@code CLIENT KILL}), when Redis unsubscribes a channel unasked (its slot
 * moved), when a subscribe fails ({@code MOVED}), and once a second besides. The last three also
 * read the topology again first, at most every {@value #REFRESH_SPACING_MS} ms.
 *
 * <p>The comparison runs on one thread of its own, one at a time; subscribes and messages run on
 * Lettuce's I/O threads. A node with N channels spends O(N) there per comparison.
 */
final class ShardedChannelLinks implements ChannelLinks {

  private static final Logger log = LoggerFactory.getLogger(ShardedChannelLinks.class);

  private static final Duration TICK = Duration.ofSeconds(1);
  private static final long REFRESH_SPACING_MS = 250;
  private static final int CONCURRENT_SUBSCRIBES = 64;
  private static final long RETRY_DELAY_MS = 200;
  private static final Retry SUBSCRIBE_RETRY =
      Retry.backoff(3, Duration.ofMillis(100))
          .maxBackoff(Duration.ofMillis(500))
          .onRetryExhaustedThrow((spec, signal) -> signal.failure());

  private final RedisConnector connector;
  private final RedisClusterClient cluster;
  private final Owner owner;
  private final Duration connectTimeout;
  private final Map<String, ShardLink> links = new ConcurrentHashMap<>();
  private final Scheduler serial = Schedulers.newSingle("herald-shards", true);
  private final AtomicBoolean reconcileQueued = new AtomicBoolean();
  private final AtomicBoolean retryQueued = new AtomicBoolean();
  private final AtomicLong lastRefresh = new AtomicLong();
  private final Disposable.Composite loops = Disposables.composite();
  private volatile boolean closed;

  /**
   * @param connectTimeout how long opening a connection to a master may take ({@code
   *     herald.redis.connect-timeout})
   */
  ShardedChannelLinks(
      RedisConnector connector, RedisClusterClient cluster, Duration connectTimeout, Owner owner) {
    this.connector = connector;
    this.cluster = cluster;
    this.owner = owner;
    this.connectTimeout = connectTimeout;
    loops.add(
        serial.schedulePeriodically(
            this::reconcile, TICK.toMillis(), TICK.toMillis(), TimeUnit.MILLISECONDS));
    loops.add(
        connector
            .events()
            .filter(ClusterTopologyChangedEvent.class::isInstance)
            .subscribe(event -> requestReconcile(false)));
  }

  @Override
  public Mono<Void> subscribe(ChannelName channel) {
    String key = RedisKeys.pubsub(channel);
    return Mono.defer(
            () -> {
              ShardLink link = linkFor(SlotHash.getSlot(key));
              if (link == null) {
                requestReconcile(true);
                return Mono.error(RedisConnector.notConnected());
              }
              return link.subscribe(List.of(key));
            })
        // MOVED (the topology changed under us) or a link that died: read it again, try again.
        .doOnError(error -> retrySoon())
        .retryWhen(SUBSCRIBE_RETRY);
  }

  @Override
  public Mono<Void> unsubscribe(ChannelName channel) {
    String key = RedisKeys.pubsub(channel);
    return Flux.fromIterable(links.values())
        .filter(link -> link.isConfirmed(key))
        .flatMap(link -> link.unsubscribe(List.of(key)))
        .then();
  }

  @Override
  public boolean isConnected() {
    return links.values().stream().noneMatch(ShardLink::isDead);
  }

  /** The link to the master that serves {@code slot} now, opened when there is none yet. */
  private @Nullable ShardLink linkFor(int slot) {
    Partitions partitions = connector.partitions();
    RedisClusterNode master = partitions == null ? null : partitions.getMasterBySlot(slot);
    if (master == null || closed) {
      return null;
    }
    RedisURI uri = master.getUri();
    String address = uri.getHost() + ":" + uri.getPort();
    ShardLink link =
        links.compute(
            master.getNodeId(),
            (id, current) ->
                current != null && !current.isDead() && current.address().equals(address)
                    ? current
                    : open(id, uri));
    return link;
  }

  private ShardLink open(String nodeId, RedisURI uri) {
    return new ShardLink(
        nodeId,
        uri.getHost(),
        uri.getPort(),
        connector,
        connectTimeout,
        owner::message,
        channel -> requestReconcile(true),
        wasOpen -> {
          if (wasOpen) {
            requestReconcile(true);
          } else {
            retrySoon();
          }
        });
  }

  /** Compares soon, on the serial thread; at most one comparison waits. */
  private void requestReconcile(boolean refreshFirst) {
    if (closed) {
      return;
    }
    if (refreshFirst) {
      refreshTopology();
    }
    if (reconcileQueued.compareAndSet(false, true)) {
      serial.schedule(
          () -> {
            reconcileQueued.set(false);
            reconcile();
          });
    }
  }

  /**
   * Reads the topology again and compares after {@value #RETRY_DELAY_MS} ms: after a failure, so
   * that a master that is down (and still listed until its replica takes over) is not tried in a
   * busy loop.
   */
  private void retrySoon() {
    if (closed) {
      return;
    }
    refreshTopology();
    if (retryQueued.compareAndSet(false, true)) {
      serial.schedule(
          () -> {
            retryQueued.set(false);
            reconcile();
          },
          RETRY_DELAY_MS,
          TimeUnit.MILLISECONDS);
    }
  }

  /** Reads the topology again (at most every few hundred ms); its change event compares again. */
  private void refreshTopology() {
    long now = System.nanoTime();
    long last = lastRefresh.get();
    if (now - last < TimeUnit.MILLISECONDS.toNanos(REFRESH_SPACING_MS)
        || !lastRefresh.compareAndSet(last, now)) {
      return;
    }
    cluster.refreshPartitionsAsync().whenComplete((done, error) -> requestReconcileAfterRefresh());
  }

  private void requestReconcileAfterRefresh() {
    if (reconcileQueued.compareAndSet(false, true)) {
      serial.schedule(
          () -> {
            reconcileQueued.set(false);
            reconcile();
          });
    }
  }

  /** Subscribes what is wanted but missing where it belongs, drops what is stale. */
  private void reconcile() {
    Partitions partitions = connector.partitions();
    if (closed || partitions == null) {
      return;
    }
    try {
      Set<String> masters = new HashSet<>();
      partitions.forEach(
          node -> {
            if (node.getRole().isUpstream()) {
              masters.add(node.getNodeId());
            }
          });
      links
          .values()
          .removeIf(
              link -> {
                boolean gone = link.isDead() || !masters.contains(link.nodeId());
                if (gone) {
                  link.close();
                }
                return gone;
              });
      Map<ShardLink, Map<Integer, List<ChannelName>>> missing = new HashMap<>();
      boolean unserved = false;
      for (ChannelName channel : owner.channels()) {
        String key = RedisKeys.pubsub(channel);
        int slot = SlotHash.getSlot(key);
        ShardLink link = linkFor(slot);
        if (link == null) {
          unserved = true;
        } else if (!link.isConfirmed(key) && !link.isPending(key)) {
          missing
              .computeIfAbsent(link, l -> new HashMap<>())
              .computeIfAbsent(slot, s -> new ArrayList<>())
              .add(channel);
        }
      }
      if (unserved) {
        refreshTopology();
      }
      dropStale(partitions);
      subscribeMissing(missing);
    } catch (RuntimeException e) {
      log.warn("engine=redis sharded subscriptions not compared: {}", e.toString());
    }
  }

  /** Channels confirmed on a link that no longer serves their slot, or no longer wanted. */
  private void dropStale(Partitions partitions) {
    for (ShardLink link : links.values()) {
      Map<Integer, List<String>> stale = new HashMap<>();
      for (String key : link.confirmed()) {
        int slot = SlotHash.getSlot(key);
        RedisClusterNode master = partitions.getMasterBySlot(slot);
        boolean belongs = master != null && master.getNodeId().equals(link.nodeId());
        // Asked live, not from the snapshot: a channel subscribed since was added before its
        // SSUBSCRIBE was sent, so a confirmed channel missing from the feeds is truly unwanted.
        ChannelName channel = RedisKeys.channelOf(key);
        boolean stillWanted = channel != null && owner.channels().contains(channel);
        if (!stillWanted || !belongs) {
          stale.computeIfAbsent(slot, s -> new ArrayList<>()).add(key);
        }
      }
      stale
          .values()
          .forEach(
              keys ->
                  link.unsubscribe(keys)
                      .subscribe(done -> {}, error -> log.debug("sunsubscribe: {}", error)));
    }
  }

  private void subscribeMissing(Map<ShardLink, Map<Integer, List<ChannelName>>> missing) {
    if (missing.isEmpty()) {
      return;
    }
    int channels =
        missing.values().stream()
            .flatMap(bySlot -> bySlot.values().stream())
            .mapToInt(List::size)
            .sum();
    log.debug("engine=redis sharded channels={} masters={} subscribing", channels, missing.size());
    List<Map.Entry<ShardLink, List<ChannelName>>> groups = new ArrayList<>();
    missing.forEach(
        (link, bySlot) -> bySlot.values().forEach(group -> groups.add(Map.entry(link, group))));
    long start = System.nanoTime();
    AtomicInteger failed = new AtomicInteger();
    // Not kept: it ends by itself, at the latest when close() closes the links.
    Flux.fromIterable(groups)
        .flatMap(
            group -> subscribeGroup(group.getKey(), group.getValue(), failed),
            CONCURRENT_SUBSCRIBES)
        .subscribe(
            done -> {},
            error -> log.debug("resubscribe: {}", error.toString()),
            () ->
                log.info(
                    "engine=redis sharded channels={} commands={} failed={} in ms={}",
                    channels,
                    groups.size(),
                    failed.get(),
                    (System.nanoTime() - start) / 1_000_000));
  }

  private Mono<Void> subscribeGroup(
      ShardLink link, List<ChannelName> channels, AtomicInteger failed) {
    return link.subscribe(channels.stream().map(RedisKeys::pubsub).toList())
        .doOnSuccess(done -> owner.resubscribed(channels))
        .onErrorResume(
            error -> {
              // Tried again on the next comparison, after the topology is read again.
              log.debug("engine=redis shard={} subscribe failed: {}", link.address(), error);
              failed.incrementAndGet();
              retrySoon();
              return Mono.empty();
            });
  }

  /** How many of the wanted channels Redis confirmed where they belong now; for tests. */
  int confirmedWhereTheyBelong() {
    int count = 0;
    for (ChannelName channel : owner.channels()) {
      String key = RedisKeys.pubsub(channel);
      ShardLink link = linkFor(SlotHash.getSlot(key));
      if (link != null && link.isConfirmed(key)) {
        count++;
      }
    }
    return count;
  }

  @Override
  public void close() {
    closed = true;
    loops.dispose();
    links.values().forEach(ShardLink::close);
    links.clear();
    serial.dispose();
  }
}
