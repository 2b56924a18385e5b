package herald.transport.websocket;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * WebSocket settings ({@code herald.websocket.*}).
 *
 * @param pingInterval how often the server pings each connection
 * @param pingTimeout how long a connection may stay silent (no frame, no pong) before it is closed
 * @param connectTimeout how long a connection without a handshake token has to send {@code connect}
 * @param permessageDeflate whether to offer permessage-deflate compression
 */
@ConfigurationProperties("herald.websocket")
public record WebSocketProperties(
    @DefaultValue("25s") Duration pingInterval,
    @DefaultValue("60s") Duration pingTimeout,
    @DefaultValue("10s") Duration connectTimeout,
    @DefaultValue("false") boolean permessageDeflate) {}
