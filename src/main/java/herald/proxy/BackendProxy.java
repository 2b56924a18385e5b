package herald.proxy;

import herald.channel.ChannelName;
import herald.config.PerNamespace;
import herald.protocol.ErrorCode;
import herald.protocol.HeraldException;
import java.time.Duration;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.springframework.web.reactive.function.client.WebClient;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/**
 * The backends Herald asks (README "Backend integration"): a namespace's publish proxy ({@code
 * herald.namespaces.<ns>.publish-proxy}), which sees each client publication first and may let it
 * through, rewrite it or refuse it, and the {@code rpc} endpoint ({@code herald.proxy.rpc}).
 *
 * <p>Both return cold {@code Mono}s: one HTTP call per subscription, answered on a Reactor Netty
 * client thread; failures are {@link HeraldException}s as {@link BackendCalls} describes.
 */
public final class BackendProxy {

  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  private final PerNamespace<ProxyTarget> publishProxies;
  private final @Nullable ProxyTarget rpc;
  private final BackendCalls calls;
  private final int maxInFlightPerConnection;
  private final long maxDataSize;

  /**
   * @param maxDataSize {@code herald.limits.max-message-size}: the most a publish proxy's rewritten
   *     data may hold, as JSON
   */
  BackendProxy(
      PerNamespace<ProxyTarget> publishProxies,
      @Nullable ProxyTarget rpc,
      BackendCalls calls,
      int maxInFlightPerConnection,
      long maxDataSize) {
    this.publishProxies = publishProxies;
    this.rpc = rpc;
    this.calls = calls;
    this.maxInFlightPerConnection = maxInFlightPerConnection;
    this.maxDataSize = maxDataSize;
  }

  /**
   * No publish proxy and no {@code rpc} endpoint: every publication passes as it is and {@code rpc}
   * answers 404. For nodes and tests that call no backend.
   */
  public static BackendProxy none() {
    BackendCalls unused =
        new BackendCalls(
            WebClient.create(),
            JsonMapper.shared(),
            Duration.ofSeconds(3),
            1,
            Schedulers.parallel(),
            Map.of());
    return new BackendProxy(PerNamespace.none(), null, unused, 1, Long.MAX_VALUE);
  }

  /** Whether {@code herald.proxy.rpc} is set: {@link #rpc} calls a backend rather than failing. */
  public boolean rpcEnabled() {
    return rpc != null;
  }

  /** {@code herald.proxy.max-in-flight-per-connection}: proxy calls one connection may wait for. */
  public int maxInFlightPerConnection() {
    return maxInFlightPerConnection;
  }

  /** Whether client publications to {@code channel} go through a publish proxy first. */
  public boolean proxies(ChannelName channel) {
    return publishProxies.forChannel(channel) != null;
  }

  /**
   * The data to publish for a client's publication to {@code channel}: {@code data} itself when the
   * namespace has no publish proxy or the proxy answered {@code {"result":{}}}, the proxy's {@code
   * result.data} when it answered one. Fails with the proxy's own error when it refused.
   */
  public Mono<JsonNode> publication(ChannelName channel, JsonNode data, Caller caller) {
    ProxyTarget target = publishProxies.forChannel(channel);
    if (target == null) {
      return Mono.just(data);
    }
    ObjectNode body = NODES.objectNode();
    body.put("channel", channel.value());
    body.set("data", data);
    putCaller(body, caller);
    return calls
        .post(target, body, caller)
        .map(BackendAnswer::result)
        .map(result -> result.has("data") ? rewritten(result.get("data")) : data);
  }

  /**
   * The data a publish proxy answered instead, held to the size limit of published data like any
   * other: a backend cannot make Herald deliver what no publisher could.
   */
  private JsonNode rewritten(JsonNode data) {
    if (calls.size(data) > maxDataSize) {
      throw new HeraldException(
          ErrorCode.BAD_GATEWAY,
          "backend answered data larger than "
              + maxDataSize
              + " bytes (herald.limits.max-message-size)");
    }
    return data;
  }

  /**
   * Calls {@code method} at the {@code rpc} endpoint and emits the {@code result} object it
   * answered. Fails with 404 when {@code herald.proxy.rpc} is not set, with the backend's own error
   * when it answered one.
   */
  public Mono<ObjectNode> rpc(String method, JsonNode data, Caller caller) {
    ProxyTarget target = rpc;
    if (target == null) {
      return Mono.error(
          new HeraldException(
              ErrorCode.NOT_FOUND, "rpc is not enabled on this server (herald.proxy.rpc)"));
    }
    ObjectNode body = NODES.objectNode();
    body.put("method", method);
    body.set("data", data);
    putCaller(body, caller);
    return calls.post(target, body, caller).map(BackendAnswer::result);
  }

  private static void putCaller(ObjectNode body, Caller caller) {
    if (caller.user().isEmpty()) {
      body.putNull("user");
    } else {
      body.put("user", caller.user());
    }
    if (caller.client() == null) {
      body.putNull("client");
    } else {
      body.put("client", caller.client());
    }
  }
}
