package herald.web;

import io.netty.util.NetUtil;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.springframework.http.server.reactive.ServerHttpRequest;

/**
 * Finds the client's IP address, the key of the per-IP limits: the socket's peer, or, behind
 * trusted proxies ({@code herald.trust-proxy=true}), the address the outermost trusted proxy wrote
 * into {@code X-Forwarded-For}.
 *
 * <p>Proxies append the address they received the request from, so only the right end of the header
 * is theirs; the client writes whatever it likes to the left of it. With {@code
 * herald.trust-proxy-hops=n} the client is the n-th entry from the right (the leftmost one when
 * there are fewer: the request came through fewer proxies, and the leftmost was still written by a
 * trusted one). That entry must be an IP literal (an optional port is dropped); anything else, a
 * host name or garbage, means the proxies are not set up as described, and the socket's peer is
 * used: a client must never be able to choose its own limiter. Without trust the header is ignored.
 * Addresses come back in one canonical spelling, so {@code ::1} and {@code 0:0:0:0:0:0:0:1} share a
 * limiter.
 */
public final class ClientAddress {

  public static final String X_FORWARDED_FOR = "X-Forwarded-For";

  private final boolean trustProxy;
  private final int hops;

  public ClientAddress(ProxyProperties properties) {
    this.trustProxy = properties.trustProxy();
    this.hops = properties.trustProxyHops();
  }

  public String of(ServerHttpRequest request) {
    return of(request.getHeaders().get(X_FORWARDED_FOR), request.getRemoteAddress());
  }

  /**
   * The client's address from a request's {@code X-Forwarded-For} lines and its socket's peer: for
   * requests that Reactor Netty serves without WebFlux.
   */
  public String of(@Nullable List<String> forwardedFor, @Nullable InetSocketAddress remote) {
    if (trustProxy) {
      String forwarded = forwarded(forwardedFor);
      if (forwarded != null) {
        return forwarded;
      }
    }
    if (remote == null) {
      return "unknown";
    }
    return remote.getAddress() != null
        ? NetUtil.toAddressString(remote.getAddress())
        : remote.getHostString();
  }

  /**
   * The entry {@link #hops} from the right of every {@code X-Forwarded-For} line joined (repeated
   * header lines are one comma list, RFC 9110 §5.3), as a canonical IP, or {@code null}.
   */
  private @Nullable String forwarded(@Nullable List<String> lines) {
    if (lines == null || lines.isEmpty()) {
      return null;
    }
    String[] entries = String.join(",", lines).split(",", -1);
    int index = Math.max(0, entries.length - hops);
    return ipLiteral(entries[index].strip());
  }

  /**
   * {@code entry} as a canonical IP address when it is an IPv4 or IPv6 literal, optionally with a
   * port ({@code 203.0.113.9:4711}, {@code [2001:db8::1]:4711}); {@code null} otherwise. Never
   * resolves a name.
   */
  static @Nullable String ipLiteral(String entry) {
    String host = entry;
    if (host.startsWith("[")) {
      int close = host.indexOf(']');
      if (close < 0 || !portOrNothing(host.substring(close + 1))) {
        return null;
      }
      host = host.substring(1, close);
    } else if (host.indexOf(':') == host.lastIndexOf(':') && host.indexOf(':') >= 0) {
      // One colon: IPv4 with a port (an IPv6 literal has at least two).
      int colon = host.indexOf(':');
      if (!portOrNothing(host.substring(colon))) {
        return null;
      }
      host = host.substring(0, colon);
    }
    if (host.indexOf('%') >= 0) {
      return null; // a zone id names an interface of the proxy, not a client
    }
    InetAddress address = NetUtil.createInetAddressFromIpAddressString(host);
    return address == null ? null : NetUtil.toAddressString(address);
  }

  private static boolean portOrNothing(String rest) {
    if (rest.isEmpty()) {
      return true;
    }
    if (rest.charAt(0) != ':' || rest.length() < 2 || rest.length() > 6) {
      return false;
    }
    for (int i = 1; i < rest.length(); i++) {
      if (rest.charAt(i) < '0' || rest.charAt(i) > '9') {
        return false;
      }
    }
    return true;
  }
}
