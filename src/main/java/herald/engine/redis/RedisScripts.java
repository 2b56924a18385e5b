package herald.engine.redis;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * The Lua scripts of the Redis engine. Each runs atomically, so an offset, its history entry and
 * its pub/sub message can never disagree. Time is Redis's own ({@code TIME}), so every node stamps
 * and expires with one clock.
 *
 * <p>A publication's payload is {@code {"ts":…,"offset":…,"epoch":"…","from":"…","data":…}}; it
 * starts with {@code ts} so that scripts can read a history entry's age without decoding it.
 */
final class RedisScripts {

  /**
   * Idempotent publishing (README, Backend API): when ARGV[9] (the window in ms) is given, KEYS[3]
   * is the idempotency key, in the channel's slot; when it holds a first result, the publish script
   * returns that result with a 4th element 1 and publishes nothing; else {@link #REMEMBER_FIRST}
   * stores the result for ARGV[9] ms. Keyed by ARGV[9], not by the number of keys, so that keys may
   * follow it.
   */
  private static final String REPEAT =
      """
      if ARGV[9] then
        local first = redis.call('GET', KEYS[3])
        if first then
          local offset, epoch, ts = string.match(first, '^(%d+) (%S+) (%d+)$')
          return {tonumber(offset), epoch, ts, 1}
        end
      end
      """;

  private static final String REMEMBER_FIRST =
      """
      if ARGV[9] then
        redis.call('SET', KEYS[3], offset .. ' ' .. epoch .. ' ' .. ts, 'PX', ARGV[9])
      end
      """;

  /** Lua that sets {@code now} to Redis's time in milliseconds; scripts elsewhere start with it. */
  static final String NOW =
      """
      local time = redis.call('TIME')
      local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
      """;

  private static final String EPOCH =
      """
      local epoch = redis.call('HGET', KEYS[1], 'epoch')
      if not epoch then
        epoch = ARGV[1]
        redis.call('HSET', KEYS[1], 'epoch', epoch)
      end
      """;

  /**
   * Publishes one publication. KEYS: meta, history, and last the pub/sub channel (declared as a key
   * so that Redis Cluster routes and checks it with the channel's slot). ARGV: epoch for a new
   * sequence, data JSON, has-from ("1"/"0"), from, history size, history TTL ms, meta TTL ms,
   * pub/sub channel (the same as the last key). Returns {offset, epoch, ts}.
   */
  static final Script PUBLISH =
      new Script(
          REPEAT
              + EPOCH
              + NOW
              + """
              local offset = redis.call('HINCRBY', KEYS[1], 'offset', 1)
              local ts = string.format('%.0f', now)
              """
              + REMEMBER_FIRST
              + """
              local payload = '{"ts":' .. ts .. ',"offset":' .. offset
                .. ',"epoch":' .. cjson.encode(epoch)
              if ARGV[3] == '1' then
                payload = payload .. ',"from":' .. cjson.encode(ARGV[4])
              end
              payload = payload .. ',"data":' .. ARGV[2] .. '}'
              local size = tonumber(ARGV[5])
              if size > 0 then
                redis.call('RPUSH', KEYS[2], payload)
                redis.call('LTRIM', KEYS[2], -size, -1)
                redis.call('PEXPIRE', KEYS[2], ARGV[6])
              else
                redis.call('DEL', KEYS[2])
              end
              redis.call('PEXPIRE', KEYS[1], ARGV[7])
              redis.call('PUBLISH', KEYS[#KEYS], payload)
              return {offset, epoch, ts}
              """);

  /**
   * Anchors a channel's sequence for a node that subscribes to it: gives it an epoch if it has none
   * yet, so that the position the subscribers start from names the sequence the next publish
   * continues, and keeps the position alive for the meta TTL. KEYS: meta. ARGV: epoch for a new
   * sequence, meta TTL ms. Returns {epoch, offset}. The only write on the read side; it runs once
   * per channel a node subscribes to, not per read.
   */
  static final Script ANCHOR =
      new Script(
          EPOCH
              + """
              redis.call('PEXPIRE', KEYS[1], ARGV[2])
              return {epoch, tonumber(redis.call('HGET', KEYS[1], 'offset') or '0')}
              """);

  /**
   * Reads a channel's position and history with the recovery rules of the in-memory engine ({@code
   * engine.memory.ChannelStream#read}; change both together, the engine contract tests check they
   * agree). Writes nothing: a channel without a sequence reads as offset 0 of {@code ARGV[1]}, an
   * epoch stored nowhere, so a position taken from it is never recovered into another sequence. One
   * LRANGE reads the list (bounded by the namespace's history size); entries older than the TTL
   * count as gone even before Redis drops them. KEYS: meta, history. ARGV: epoch to report for a
   * channel without one, history TTL ms, since offset ("" for none), since epoch, limit (-1 for
   * all), most bytes of entries to return (-1 for no bound; the first entry is always returned).
   * Returns {epoch, offset, recovered (1/0), payload...}.
   */
  static final Script HISTORY =
      new Script(
          NOW
              + """
              local meta = redis.call('HMGET', KEYS[1], 'epoch', 'offset')
              local epoch = meta[1]
              local offset = tonumber(meta[2] or '0')
              local entries = {}
              if epoch then
                local limit = tonumber(ARGV[5])
                if limit ~= 0 or ARGV[3] ~= '' then
                  entries = redis.call('LRANGE', KEYS[2], 0, -1)
                end
              else
                epoch = ARGV[1]
                offset = 0
              end
              local cutoff = now - tonumber(ARGV[2])
              local len = #entries
              local first = 0
              while first < len do
                local ts = tonumber(string.match(entries[first + 1], '^{"ts":(%d+)'))
                if ts > cutoff then break end
                first = first + 1
              end
              local base = offset - len + 1
              local recovered = 1
              local after = 0
              if ARGV[3] ~= '' then
                local since = tonumber(ARGV[3])
                if ARGV[4] ~= epoch or since > offset then
                  recovered = 0
                elseif since < offset and (first >= len or base + first > since + 1) then
                  recovered = 0
                end
                if recovered == 1 then after = since end
              end
              local result = {epoch, offset, recovered}
              local limit = tonumber(ARGV[5])
              local budget = tonumber(ARGV[6])
              local start = math.max(first, after + 1 - base)
              local taken = 0
              local bytes = 0
              for i = start + 1, len do
                if limit >= 0 and taken >= limit then break end
                local size = #entries[i]
                if budget >= 0 and taken > 0 and bytes + size > budget then break end
                result[#result + 1] = entries[i]
                taken = taken + 1
                bytes = bytes + size
              end
              return result
              """);

  /**
   * Adds or refreshes a presence entry. KEYS: presence, clients, pub/sub channel. ARGV: client id,
   * client JSON, TTL ms, announce ("1"/"0"), announcement. Returns 1.
   */
  static final Script JOIN =
      new Script(
          NOW
              + """
              redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[1])
              redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
              redis.call('PEXPIRE', KEYS[1], ARGV[3])
              redis.call('PEXPIRE', KEYS[2], ARGV[3])
              if ARGV[4] == '1' then redis.call('PUBLISH', KEYS[3], ARGV[5]) end
              return 1
              """);

  /**
   * Removes a presence entry. KEYS: presence, clients, pub/sub channel. ARGV: client id, announce
   * ("1"/"0"), announcement. Returns 1 when the entry was there.
   */
  static final Script LEAVE =
      new Script(
          """
          local removed = redis.call('ZREM', KEYS[1], ARGV[1])
          redis.call('HDEL', KEYS[2], ARGV[1])
          if removed == 1 and ARGV[2] == '1' then redis.call('PUBLISH', KEYS[3], ARGV[3]) end
          return removed
          """);

  /**
   * Lists a page of a channel's live presence entries, in the order of their connection ids (as
   * {@code engine.PresencePage#of} does for the in-memory engine), dropping expired ones when the
   * first page is read. KEYS: presence, clients. ARGV: the last id of the previous page ("" for the
   * first), most entries. Returns {more (1/0), client JSON...}. Sorting costs O(n log n) in the
   * channel's size per page; the reply holds at most the limit.
   */
  static final Script PRESENCE =
      new Script(
          NOW
              + """
              if ARGV[1] == '' then
                local expired = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now)
                for i = 1, #expired do
                  redis.call('ZREM', KEYS[1], expired[i])
                  redis.call('HDEL', KEYS[2], expired[i])
                end
              end
              local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. now, '+inf')
              table.sort(ids)
              local limit = tonumber(ARGV[2])
              local result = {0}
              local taken = 0
              for i = 1, #ids do
                if ARGV[1] == '' or ids[i] > ARGV[1] then
                  if taken == limit then
                    result[1] = 1
                    break
                  end
                  local info = redis.call('HGET', KEYS[2], ids[i])
                  if info then
                    result[#result + 1] = info
                    taken = taken + 1
                  end
                end
              end
              return result
              """);

  private RedisScripts() {}

  /** A script's source and the SHA-1 that {@code EVALSHA} knows it by. */
  record Script(String source, String sha) {

    Script(String source) {
      this(source, sha1(source));
    }

    /**
     * This script with every {@code PUBLISH} made an {@code SPUBLISH}: on a Redis Cluster the
     * message then stays on the shard of its channel's slot instead of crossing the cluster bus to
     * every node. Each script publishes to a channel it declares as a key.
     */
    Script sharded() {
      return new Script(source.replace("redis.call('PUBLISH', ", "redis.call('SPUBLISH', "));
    }

    private static String sha1(String source) {
      try {
        MessageDigest digest = MessageDigest.getInstance("SHA-1");
        return HexFormat.of().formatHex(digest.digest(source.getBytes(StandardCharsets.UTF_8)));
      } catch (NoSuchAlgorithmException e) {
        throw new IllegalStateException("SHA-1 is missing from this JVM", e);
      }
    }
  }
}
