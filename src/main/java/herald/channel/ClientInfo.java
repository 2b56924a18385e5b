package herald.channel;

/**
 * One connection as presence reports it.
 *
 * @param user the authenticated user id ({@code sub}), or the anonymous id
 * @param client the connection's id, unique in the cluster
 * @param node the name of the node holding the connection
 */
public record ClientInfo(String user, String client, String node) {}
