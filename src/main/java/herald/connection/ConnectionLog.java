package herald.connection;

import org.slf4j.spi.LoggingEventBuilder;

/**
 * Log lines about one connection: its id and user go into the text ({@code client=… user=…}, for
 * the readable console) and, as key-value pairs, into structured logs ({@code
 * LOGGING_STRUCTURED_FORMAT_CONSOLE=ecs}: fields {@code client} and {@code user}). Key-value pairs
 * travel with the log event, not with the thread, so they cannot leak to the next connection served
 * by the same event loop as an MDC entry could.
 *
 * <pre>{@code
 * ConnectionLog.about(log.atWarn(), client).log("client={} user={} release failed: {}", why);
 * }</pre>
 */
public final class ConnectionLog {

  private ConnectionLog() {}

  /**
   * Adds {@code client}'s id and user to {@code line}, as key-value pairs and as the first two
   * arguments of its message, which must therefore start with {@code client={} user={}}. Costs
   * nothing when the level is off ({@code log.atDebug()} is then a no-op builder).
   */
  public static LoggingEventBuilder about(LoggingEventBuilder line, ClientSession client) {
    String id = client.id();
    String user = client.user();
    return line.addKeyValue("client", id)
        .addKeyValue("user", user)
        .addArgument(id)
        .addArgument(user);
  }
}
