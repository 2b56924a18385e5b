package herald.web;

import java.net.InetSocketAddress;
import org.springframework.http.server.reactive.ServerHttpRequest;

/**
 * Finds the client's IP address: the socket's peer, or, behind a trusted proxy ({@code
 * herald.trust-proxy=true}), the first address of {@code X-Forwarded-For}. Without trust the header
 * is ignored, since any client can send it.
 */
public final class ClientAddress {

  private final boolean trustProxy;

  public ClientAddress(ProxyProperties properties) {
    this.trustProxy = properties.trustProxy();
  }

  public String of(ServerHttpRequest request) {
    if (trustProxy) {
      String forwarded = request.getHeaders().getFirst("X-Forwarded-For");
      if (forwarded != null && !forwarded.isBlank()) {
        int comma = forwarded.indexOf(',');
        String first = (comma < 0 ? forwarded : forwarded.substring(0, comma)).trim();
        if (!first.isEmpty()) {
          return first;
        }
      }
    }
    InetSocketAddress remote = request.getRemoteAddress();
    if (remote == null) {
      return "unknown";
    }
    return remote.getAddress() != null
        ? remote.getAddress().getHostAddress()
        : remote.getHostString();
  }
}
