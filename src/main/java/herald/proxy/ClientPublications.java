package herald.proxy;

import herald.channel.ChannelName;
import herald.schema.PublicationSchemas;
import herald.security.ChannelPermissions;
import herald.security.Credentials;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Mono;
import tools.jackson.databind.JsonNode;

/**
 * What a client's publication passes before it is published, on WebSocket and over {@code POST
 * /sse/commands} alike: the token's permission, the namespace's schema, then the namespace's
 * publish proxy (README "Backend integration"). Publications through the backend API pass none of
 * these: backends are trusted.
 */
public final class ClientPublications {

  private final ChannelPermissions permissions;
  private final PublicationSchemas schemas;
  private final BackendProxy proxy;

  ClientPublications(
      ChannelPermissions permissions, PublicationSchemas schemas, BackendProxy proxy) {
    this.permissions = permissions;
    this.schemas = schemas;
    this.proxy = proxy;
  }

  /** The permission check alone: no schema, no publish proxy. For nodes and tests without them. */
  public static ClientPublications permissionsOnly(ChannelPermissions permissions) {
    return new ClientPublications(permissions, PublicationSchemas.none(), BackendProxy.none());
  }

  /**
   * Whether publishing to {@code channel} waits for a backend, so that a transport can run it
   * beside the connection's other commands rather than in their line.
   */
  public boolean proxied(ChannelName channel) {
    return proxy.proxies(channel);
  }

  /**
   * Checks a client's publication and emits the data to publish: {@code data}, or what the publish
   * proxy answered instead. Permission and schema are checked at subscription, on the caller's
   * thread (microseconds: no I/O); a proxied channel then waits for its backend. Fails with 403,
   * 400 (naming the first location that does not match the schema), or the proxy's error; nothing
   * is published then.
   */
  public Mono<JsonNode> admit(
      Credentials credentials, @Nullable String client, ChannelName channel, JsonNode data) {
    return Mono.defer(
        () -> {
          permissions.checkPublish(credentials, channel);
          schemas.check(channel, data);
          return proxy.publication(channel, data, new Caller(credentials.user(), client));
        });
  }
}
