package herald.ratelimit;

import jakarta.validation.constraints.Positive;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.validation.annotation.Validated;

/**
 * Caps on open SSE and WebSocket connections ({@code herald.limits.*}), with or without a token.
 *
 * <p>The node-wide default leaves room under the 20,000 open files a pod typically gets for Redis
 * connections, API requests, handshakes in progress and the JVM's own files, and holds at most
 * about 460 MB of connection state at the measured 19–25 KB RSS per idle connection (README,
 * Measured). The per-IP default lets one address take at most about a twentieth of a node, while an
 * office or carrier NAT with hundreds of users behind one address still fits.
 *
 * @param connectionsPerIp most open connections from one client address (429 over it)
 * @param connectionsPerNode most open connections on this node (503 over it)
 */
@Validated
@ConfigurationProperties("herald.limits")
public record ConnectionCapProperties(
    @DefaultValue("1000") @Positive int connectionsPerIp,
    @DefaultValue("18000") @Positive int connectionsPerNode) {}
