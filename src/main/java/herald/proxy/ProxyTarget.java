package herald.proxy;

import herald.config.InvalidSettingException;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;

/**
 * One backend endpoint and its circuit breaker: the {@code rpc} endpoint or one namespace's publish
 * proxy.
 *
 * @param name what the breaker is called in metrics ({@code rpc}, {@code chat.publish-proxy})
 */
record ProxyTarget(String name, URI uri, CircuitBreaker breaker) {

  /**
   * The URL of {@code setting}, checked: an absolute http(s) URL with a host. Anything else stops
   * start-up, since a typo would otherwise surface as failing publishes. The message does not
   * repeat the value, which may hold credentials.
   */
  static URI url(String setting, String value) {
    URI uri;
    try {
      uri = new URI(value.strip());
    } catch (URISyntaxException e) {
      throw invalid(setting);
    }
    String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
    if (!(scheme.equals("http") || scheme.equals("https"))
        || uri.getHost() == null
        || uri.getFragment() != null) {
      throw invalid(setting);
    }
    return uri;
  }

  private static InvalidSettingException invalid(String setting) {
    return new InvalidSettingException(
        setting,
        "is not an absolute http(s) URL",
        "give the backend's URL, such as https://backend.internal/herald/publish");
  }
}
