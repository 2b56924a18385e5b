package herald.engine;

import herald.channel.ClientInfo;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * A page of a channel's presence.
 *
 * @param clients in the order of their connection ids
 * @param cursor what to pass as {@link PresenceQuery#after} for the next page; {@code null} when
 *     this is the last one
 */
public record PresencePage(List<ClientInfo> clients, @Nullable String cursor) {

  public PresencePage {
    clients = List.copyOf(clients);
  }

  /** The page of {@code query} cut from every entry, sorted by connection id. */
  public static PresencePage of(List<ClientInfo> sorted, PresenceQuery query) {
    List<ClientInfo> page = new java.util.ArrayList<>(Math.min(query.limit(), sorted.size()));
    boolean more = false;
    for (ClientInfo client : sorted) {
      if (query.after() != null && client.client().compareTo(query.after()) <= 0) {
        continue;
      }
      if (page.size() == query.limit()) {
        more = true;
        break;
      }
      page.add(client);
    }
    return new PresencePage(page, more ? page.get(page.size() - 1).client() : null);
  }
}
