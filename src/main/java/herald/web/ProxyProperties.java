package herald.web;

import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Positive;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.validation.annotation.Validated;

/**
 * Whether Herald runs behind proxies it trusts ({@code herald.trust-proxy}, {@code
 * HERALD_TRUST_PROXY}): only then is the client IP taken from {@code X-Forwarded-For}.
 *
 * @param trustProxy whether {@code X-Forwarded-For} is read at all
 * @param trustProxyHops how many proxies in front of Herald append to {@code X-Forwarded-For} (1:
 *     one load balancer or ingress; 2: a CDN in front of it, ...). The client address is the one
 *     the outermost trusted proxy added, that many entries from the right: everything to its left
 *     was written by the client and proves nothing
 */
@Validated
@ConfigurationProperties("herald")
public record ProxyProperties(
    @DefaultValue("false") boolean trustProxy,
    @DefaultValue("1") @Positive @Max(16) int trustProxyHops) {}
