package herald.schema;

import com.networknt.schema.Error;
import com.networknt.schema.Schema;
import herald.channel.ChannelName;
import herald.config.PerNamespace;
import herald.protocol.HeraldException;
import java.util.List;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.JsonNode;

/**
 * The JSON Schema each namespace's client publications must match ({@code
 * herald.namespaces.<ns>.schema}), compiled once at start-up by {@link SchemaLoader}.
 *
 * <p>{@link #check} runs on the event loop, in the caller's thread: the compiled validators walk
 * the already-parsed {@code data} tree without I/O, in microseconds for typical payloads (README
 * "Backend integration" has the measurement). Backend API publishes are not checked: the schema
 * guards against clients, and backends are trusted.
 */
public final class PublicationSchemas {

  /** Client text in a message is cut here, so a huge path cannot make a huge reply. */
  private static final int MAX_MESSAGE_PART = 200;

  private final PerNamespace<Schema> schemas;

  PublicationSchemas(PerNamespace<Schema> schemas) {
    this.schemas = schemas;
  }

  /** No schema anywhere: every publication passes. */
  public static PublicationSchemas none() {
    return new PublicationSchemas(PerNamespace.none());
  }

  /**
   * Checks {@code data} against the schema of {@code channel}'s namespace, if it has one.
   *
   * @throws HeraldException 400 naming the first failing location (a JSON pointer into {@code
   *     data}, {@code ""} for {@code data} itself) when it does not match
   */
  public void check(ChannelName channel, JsonNode data) {
    Schema schema = schemas.forChannel(channel);
    if (schema == null) {
      return;
    }
    List<Error> errors = schema.validate(data);
    if (!errors.isEmpty()) {
      throw HeraldException.badRequest(describe(errors.get(0), errors.size()));
    }
  }

  private static String describe(Error error, int count) {
    String location = cut(error.getInstanceLocation().toString());
    String message = cut(error.getMessage());
    String more = count > 1 ? " (and " + (count - 1) + " more)" : "";
    return "data does not match the channel's schema at \"" + location + "\": " + message + more;
  }

  private static String cut(@Nullable String text) {
    if (text == null) {
      return "";
    }
    return text.length() <= MAX_MESSAGE_PART ? text : text.substring(0, MAX_MESSAGE_PART) + "...";
  }
}
