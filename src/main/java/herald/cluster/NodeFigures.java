package herald.cluster;

import java.util.Map;

/**
 * One node's figures, as {@code /api/v1/info} lists them.
 *
 * @param uptime seconds since the node started
 */
public record NodeFigures(
    String name,
    int connections,
    Map<String, Long> connectionsByTransport,
    int subscriptions,
    long uptime,
    String version) {}
