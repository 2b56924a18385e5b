package herald.protocol;

/** Anything the server sends a WebSocket client: a {@link Reply} or a {@link Push}. */
public sealed interface ServerFrame permits Reply, Push {}
