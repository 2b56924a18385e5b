package herald.engine.redis;

import herald.channel.ChannelName;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Mono;

/**
 * Channel subscriptions on a standalone Redis: {@code herald.redis.pubsub-connections} {@link
 * PubSubLink}s, a channel on the one its hash picks. After every reconnect of a link its channels
 * are SUBSCRIBEd again (Lettuce does too after a reconnect; ours, queued after its own, tells when
 * it is done) and reported to the owner.
 */
final class ClassicChannelLinks implements ChannelLinks {

  private static final Logger log = LoggerFactory.getLogger(ClassicChannelLinks.class);

  private final Owner owner;
  private final List<PubSubLink> links = new ArrayList<>();

  ClassicChannelLinks(RedisConnector connector, int connections, Owner owner) {
    this.owner = owner;
    for (int i = 0; i < connections; i++) {
      int index = i;
      links.add(
          new PubSubLink(
              "pubsub-" + index,
              connector,
              message -> owner.message(message.getChannel(), message.getMessage()),
              link -> catchUp(index, link)));
    }
  }

  private int indexOf(ChannelName channel) {
    return Math.floorMod(channel.hashCode(), links.size());
  }

  @Override
  public Mono<Void> subscribe(ChannelName channel) {
    return Mono.defer(() -> links.get(indexOf(channel)).subscribe(RedisKeys.pubsub(channel)));
  }

  @Override
  public Mono<Void> unsubscribe(ChannelName channel) {
    return Mono.defer(() -> links.get(indexOf(channel)).unsubscribe(RedisKeys.pubsub(channel)));
  }

  @Override
  public boolean isConnected() {
    return links.stream().allMatch(PubSubLink::isConnected);
  }

  /** After connection {@code index} came up: SUBSCRIBE its channels again, then report them. */
  private Mono<Void> catchUp(int index, PubSubLink link) {
    List<ChannelName> affected =
        owner.channels().stream().filter(channel -> indexOf(channel) == index).toList();
    if (affected.isEmpty()) {
      return Mono.empty();
    }
    String[] channels = affected.stream().map(RedisKeys::pubsub).toArray(String[]::new);
    log.info("engine=redis connection={} channels={} resubscribing", index, channels.length);
    return link.subscribe(channels).doOnSuccess(done -> owner.resubscribed(affected));
  }

  @Override
  public void close() {
    links.forEach(PubSubLink::close);
  }
}
