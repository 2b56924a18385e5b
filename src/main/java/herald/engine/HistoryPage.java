package herald.engine;

import herald.channel.Publication;
import herald.channel.StreamPosition;
import java.util.List;

/**
 * A read of a channel's history.
 *
 * @param publications in offset order
 * @param latest the channel's current position: its epoch and the offset of its newest publication
 * @param recovered whether {@code publications} continue the query's {@code since} position without
 *     a gap; {@code false} when the epoch changed or the history no longer reaches back that far,
 *     in which case {@code publications} hold what the history has
 */
public record HistoryPage(
    List<Publication> publications, StreamPosition latest, boolean recovered) {

  public HistoryPage {
    publications = List.copyOf(publications);
  }
}
