package herald.web;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Whether Herald runs behind a proxy it trusts ({@code herald.trust-proxy}, {@code
 * HERALD_TRUST_PROXY}): only then is the client IP taken from {@code X-Forwarded-For}.
 */
@ConfigurationProperties("herald")
public record ProxyProperties(@DefaultValue("false") boolean trustProxy) {}
