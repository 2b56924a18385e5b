package herald.connection;

import herald.config.LimitProperties;
import herald.engine.Engine;
import herald.registry.ChannelRegistry;
import herald.security.ChannelPermissions;

/** What every {@link ClientSession} of the node shares. */
record SessionServices(
    String nodeName,
    Engine engine,
    ChannelRegistry registry,
    ChannelPermissions permissions,
    LimitProperties limits,
    ClientSessions sessions) {}
