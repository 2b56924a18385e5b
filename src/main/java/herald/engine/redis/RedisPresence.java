package herald.engine.redis;

import herald.channel.ChannelName;
import herald.channel.ChannelOptions;
import herald.channel.ChannelOptionsResolver;
import herald.channel.ClientInfo;
import herald.engine.PresencePage;
import herald.engine.PresenceQuery;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;
import tools.jackson.databind.json.JsonMapper;

/**
 * Cluster-wide presence: who is subscribed to a channel on any node, and join/leave announcements.
 *
 * <p>Each entry expires after {@code herald.redis.presence-ttl} unless its node refreshes it, which
 * this class does every third of that for the entries of its own node; so a node that dies
 * disappears from presence by itself. Joins and leaves are announced over the channel's pub/sub
 * channel to other nodes and handed to this node's own subscribers directly.
 */
final class RedisPresence implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(RedisPresence.class);

  private final RedisConnector connector;
  private final NodeSubscriptions subscriptions;
  private final ChannelOptionsResolver options;
  private final JsonMapper json;
  private final Duration ttl;
  private final String instance;
  private final Map<ChannelName, Map<String, ClientInfo>> local = new ConcurrentHashMap<>();
  private final Disposable refresher;

  RedisPresence(
      RedisConnector connector,
      NodeSubscriptions subscriptions,
      ChannelOptionsResolver options,
      JsonMapper json,
      Duration ttl,
      String instance) {
    this.connector = connector;
    this.subscriptions = subscriptions;
    this.options = options;
    this.json = json;
    this.ttl = ttl;
    this.instance = instance;
    Duration refresh = ttl.dividedBy(3);
    this.refresher =
        Flux.interval(refresh, refresh, Schedulers.parallel())
            .onBackpressureDrop()
            .concatMap(tick -> refresh())
            .subscribe(done -> {}, error -> log.error("presence refresher stopped", error));
  }

  Mono<Void> join(ChannelName channel, ClientInfo client) {
    return Mono.defer(
        () -> {
          ChannelOptions channelOptions = options.optionsFor(channel);
          if (!channelOptions.presence()) {
            return Mono.empty();
          }
          local
              .computeIfAbsent(channel, c -> new ConcurrentHashMap<>())
              .put(client.client(), client);
          return joinScript(channel, client, channelOptions.joinLeave())
              .doOnSuccess(done -> announceHere(channel, client, true, channelOptions));
        });
  }

  private Mono<Void> joinScript(ChannelName channel, ClientInfo client, boolean announce) {
    String[] keys = {
      RedisKeys.presence(channel), RedisKeys.clients(channel), RedisKeys.pubsub(channel)
    };
    String[] args = {
      client.client(),
      json.writeValueAsString(RedisPayloads.clientNode(json, client)),
      Long.toString(ttl.toMillis()),
      announce ? "1" : "0",
      RedisPayloads.announcement(json, "join", client, instance)
    };
    return connector.runQueued(RedisScripts.JOIN, keys, args).then();
  }

  Mono<Void> leave(ChannelName channel, ClientInfo client) {
    return Mono.defer(
        () -> {
          ChannelOptions channelOptions = options.optionsFor(channel);
          local.computeIfPresent(
              channel,
              (c, clients) -> {
                clients.remove(client.client());
                return clients.isEmpty() ? null : clients;
              });
          String[] keys = {
            RedisKeys.presence(channel), RedisKeys.clients(channel), RedisKeys.pubsub(channel)
          };
          String[] args = {
            client.client(),
            channelOptions.joinLeave() ? "1" : "0",
            RedisPayloads.announcement(json, "leave", client, instance)
          };
          return connector
              .runQueued(RedisScripts.LEAVE, keys, args)
              .filter(reply -> !reply.isEmpty() && RedisPublications.asLong(reply.get(0)) == 1)
              .doOnNext(removed -> announceHere(channel, client, false, channelOptions))
              .then();
        });
  }

  /** Joins and leaves of this node reach its own subscribers directly, not through pub/sub. */
  private void announceHere(
      ChannelName channel, ClientInfo client, boolean join, ChannelOptions channelOptions) {
    if (channelOptions.joinLeave()) {
      subscriptions.announce(channel, client, join);
    }
  }

  Mono<PresencePage> presence(ChannelName channel, PresenceQuery query) {
    return Mono.defer(
        () -> {
          String[] keys = {RedisKeys.presence(channel), RedisKeys.clients(channel)};
          String[] args = {
            query.after() == null ? "" : query.after(), Integer.toString(query.limit())
          };
          return connector.runQueued(RedisScripts.PRESENCE, keys, args).map(this::page);
        });
  }

  private PresencePage page(List<Object> reply) {
    boolean more = RedisPublications.asLong(reply.get(0)) == 1;
    List<ClientInfo> clients = new ArrayList<>(reply.size() - 1);
    for (int i = 1; i < reply.size(); i++) {
      clients.add(RedisPayloads.toClient(json.readTree(String.valueOf(reply.get(i)))));
    }
    return new PresencePage(
        clients, more && !clients.isEmpty() ? clients.get(clients.size() - 1).client() : null);
  }

  private Mono<Void> refresh() {
    return Flux.fromIterable(local.entrySet())
        .concatMap(
            entry ->
                Flux.fromIterable(List.copyOf(entry.getValue().values()))
                    .concatMap(client -> joinScript(entry.getKey(), client, false)))
        .onErrorResume(
            error -> {
              log.debug("presence refresh failed: {}", error.toString());
              return Mono.empty();
            })
        .then();
  }

  @Override
  public void close() {
    refresher.dispose();
  }
}
