package herald.engine.redis;

import herald.channel.ChannelName;
import org.jspecify.annotations.Nullable;

/**
 * Where a channel lives in Redis. Every key of a channel carries the channel as its hash tag, so
 * Redis Cluster keeps them in one slot and one script can touch them all.
 *
 * <ul>
 *   <li>{@code herald:{<channel>}:meta}: hash of {@code epoch} and {@code offset}
 *   <li>{@code herald:{<channel>}:history}: list of publication payloads, oldest first
 *   <li>{@code herald:{<channel>}:presence}: sorted set of client ids scored by expiry (ms)
 *   <li>{@code herald:{<channel>}:clients}: hash of client id to its {@code ClientInfo} JSON
 *   <li>{@code herald:{<channel>}:pub}: the pub/sub channel of publications, joins and leaves
 *   <li>{@code herald:{<channel>}:once:<key>}: the first result of an idempotent publish with that
 *       key, {@code "<offset> <epoch> <ts>"}, for the idempotency window
 * </ul>
 *
 * Channel names cannot contain braces (README "The protocol"), so the tag is always the whole name.
 */
final class RedisKeys {

  private static final String PREFIX = "herald:{";
  private static final String PUBSUB_SUFFIX = "}:pub";

  private RedisKeys() {}

  static String meta(ChannelName channel) {
    return PREFIX + channel.value() + "}:meta";
  }

  static String history(ChannelName channel) {
    return PREFIX + channel.value() + "}:history";
  }

  static String presence(ChannelName channel) {
    return PREFIX + channel.value() + "}:presence";
  }

  static String clients(ChannelName channel) {
    return PREFIX + channel.value() + "}:clients";
  }

  static String idempotency(ChannelName channel, String key) {
    return PREFIX + channel.value() + "}:once:" + key;
  }

  static String pubsub(ChannelName channel) {
    return PREFIX + channel.value() + PUBSUB_SUFFIX;
  }

  /** The channel whose pub/sub channel is {@code pubsub}, or {@code null} for a foreign one. */
  static @Nullable ChannelName channelOf(String pubsub) {
    if (!pubsub.startsWith(PREFIX) || !pubsub.endsWith(PUBSUB_SUFFIX)) {
      return null;
    }
    String name = pubsub.substring(PREFIX.length(), pubsub.length() - PUBSUB_SUFFIX.length());
    return ChannelName.isValid(name) ? ChannelName.of(name) : null;
  }
}
