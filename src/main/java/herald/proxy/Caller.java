package herald.proxy;

import org.jspecify.annotations.Nullable;

/**
 * Who a proxy call is made for, as the backend is told (body fields and {@code X-Herald-User} /
 * {@code X-Herald-Client} headers).
 *
 * @param user the token's {@code sub}; empty for a client without a token
 * @param client the connection's id; {@code null} over {@code POST /sse/commands}, whose requests
 *     belong to no connection
 */
public record Caller(String user, @Nullable String client) {}
