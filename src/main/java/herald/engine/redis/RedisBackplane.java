package herald.engine.redis;

import herald.engine.Backplane;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Consumer;
import reactor.core.Disposable;
import reactor.core.Disposables;
import reactor.core.publisher.Mono;

/**
 * The cluster's backplane on Redis: the node directory, the control bus and the per-user connection
 * claims.
 *
 * <ul>
 *   <li>{@code herald:{nodes}:names}: set of node names; {@code herald:{nodes}:node:<name>}: the
 *       node's latest report, expiring after the node timeout. Reading the directory drops the
 *       names whose report expired, so a node that died leaves it by itself.
 *   <li>{@code herald:control}: pub/sub channel every node listens to; {@code
 *       herald:control:<name>}: the one node {@code name} listens to (replies).
 *   <li>{@code herald:{user:<user>}:connections}: sorted set of a user's connection ids scored by
 *       expiry (Redis time, ms); a claim counts the unexpired ones.
 * </ul>
 *
 * Each step is one script, so a report and its name, or a count and the claim it admits, cannot
 * disagree. The directory keys share one hash tag so its scripts stay in one Redis Cluster slot.
 */
final class RedisBackplane implements Backplane, AutoCloseable {

  private static final String NAMES = "herald:{nodes}:names";
  private static final String NODE_PREFIX = "herald:{nodes}:node:";
  private static final String CONTROL = "herald:control";

  private static final RedisScripts.Script REPORT =
      new RedisScripts.Script(
          """
          redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[3])
          redis.call('SADD', KEYS[1], ARGV[1])
          return 1
          """);

  private static final RedisScripts.Script WITHDRAW =
      new RedisScripts.Script(
          """
          redis.call('DEL', KEYS[2])
          redis.call('SREM', KEYS[1], ARGV[1])
          return 1
          """);

  /** KEYS: names. ARGV: report key prefix. Returns name, report, name, report... */
  private static final RedisScripts.Script REPORTS =
      new RedisScripts.Script(
          """
          local out = {}
          for _, name in ipairs(redis.call('SMEMBERS', KEYS[1])) do
            local report = redis.call('GET', ARGV[1] .. name)
            if report then
              out[#out + 1] = name
              out[#out + 1] = report
            else
              redis.call('SREM', KEYS[1], name)
            end
          end
          return out
          """);

  /** KEYS: the user's claims. ARGV: connection id, limit, ttl ms. Returns 1 admitted, 0 refused. */
  private static final RedisScripts.Script CLAIM =
      new RedisScripts.Script(
          RedisScripts.NOW
              + """
              redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
              if redis.call('ZSCORE', KEYS[1], ARGV[1])
                  or redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[2]) then
                redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[1])
                redis.call('PEXPIRE', KEYS[1], ARGV[3])
                return 1
              end
              return 0
              """);

  /** KEYS: the user's claims. ARGV: ttl ms, then connection ids. */
  private static final RedisScripts.Script RENEW =
      new RedisScripts.Script(
          RedisScripts.NOW
              + """
              for i = 2, #ARGV do
                redis.call('ZADD', KEYS[1], now + tonumber(ARGV[1]), ARGV[i])
              end
              redis.call('PEXPIRE', KEYS[1], ARGV[1])
              return 1
              """);

  private final RedisConnector connector;
  private final Disposable.Composite listening = Disposables.composite();

  RedisBackplane(RedisConnector connector) {
    this.connector = connector;
  }

  @Override
  public Mono<Void> report(String node, String report, Duration ttl) {
    return connector
        .run(
            REPORT,
            new String[] {NAMES, NODE_PREFIX + node},
            new String[] {node, report, Long.toString(ttl.toMillis())})
        .then();
  }

  @Override
  public Mono<Void> withdraw(String node) {
    return connector
        .run(WITHDRAW, new String[] {NAMES, NODE_PREFIX + node}, new String[] {node})
        .then();
  }

  @Override
  public Mono<Map<String, String>> reports() {
    return connector
        .run(REPORTS, new String[] {NAMES}, new String[] {NODE_PREFIX})
        .map(
            reply -> {
              Map<String, String> reports = new TreeMap<>();
              for (int i = 0; i + 1 < reply.size(); i += 2) {
                reports.put(String.valueOf(reply.get(i)), String.valueOf(reply.get(i + 1)));
              }
              return reports;
            });
  }

  @Override
  public Mono<Void> broadcast(String message) {
    return connector.call(commands -> commands.publish(CONTROL, message)).then();
  }

  @Override
  public Mono<Void> send(String node, String message) {
    return connector.call(commands -> commands.publish(direct(node), message)).then();
  }

  @Override
  public Mono<Boolean> claim(String user, String id, int limit, Duration ttl) {
    return connector
        .runQueued(
            CLAIM,
            new String[] {claims(user)},
            new String[] {id, Integer.toString(limit), Long.toString(ttl.toMillis())})
        .map(reply -> !reply.isEmpty() && "1".equals(String.valueOf(reply.get(0))));
  }

  @Override
  public Mono<Void> renew(String user, Collection<String> ids, Duration ttl) {
    if (ids.isEmpty()) {
      return Mono.empty();
    }
    List<String> args = new ArrayList<>(ids.size() + 1);
    args.add(Long.toString(ttl.toMillis()));
    args.addAll(ids);
    return connector
        .runQueued(RENEW, new String[] {claims(user)}, args.toArray(String[]::new))
        .then();
  }

  @Override
  public Mono<Void> release(String user, String id) {
    return connector.callQueued(commands -> commands.zrem(claims(user), id)).then();
  }

  @Override
  public boolean shared() {
    return true;
  }

  @Override
  public void listen(String node, Consumer<String> listener) {
    listening.add(connector.listen(CONTROL, listener));
    listening.add(connector.listen(direct(node), listener));
  }

  private static String direct(String node) {
    return CONTROL + ":" + node;
  }

  private static String claims(String user) {
    return "herald:{user:" + user + "}:connections";
  }

  @Override
  public void close() {
    listening.dispose();
  }
}
