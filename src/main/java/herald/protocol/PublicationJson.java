package herald.protocol;

import herald.channel.Publication;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/**
 * A publication as every client and the API see it: {@code
 * {"channel":"document:42","offset":17,"epoch":"k3J9","data":...,"ts":1764000000123,"from":"alice"}}.
 */
public final class PublicationJson {

  private PublicationJson() {}

  /** The publication's fields, in the README's order, into a new object node. */
  public static ObjectNode toNode(Publication publication) {
    ObjectNode node = JsonNodeFactory.instance.objectNode();
    return writeInto(node, publication);
  }

  /** Adds the publication's fields to {@code node} (after any already there). */
  public static ObjectNode writeInto(ObjectNode node, Publication publication) {
    node.put("channel", publication.channel().value());
    node.put("offset", publication.offset());
    node.put("epoch", publication.epoch());
    node.set("data", publication.data());
    node.put("ts", publication.ts());
    if (publication.from() != null) {
      node.put("from", publication.from());
    }
    return node;
  }
}
