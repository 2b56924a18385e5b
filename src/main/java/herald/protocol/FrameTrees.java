package herald.protocol;

import herald.channel.ClientInfo;
import herald.channel.Publication;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/**
 * Builds the tree of an outbound frame; JSON and MessagePack both serialise this same tree, so the
 * two subprotocols carry identical structures.
 */
final class FrameTrees {

  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  private FrameTrees() {}

  static ObjectNode tree(ServerFrame frame) {
    if (frame instanceof Reply reply) {
      return reply(reply);
    }
    return push((Push) frame);
  }

  static ObjectNode reply(Reply reply) {
    ObjectNode node = NODES.objectNode();
    node.put("id", reply.id());
    Reply.Error error = reply.error();
    if (error != null) {
      ObjectNode body = node.putObject("error");
      body.put("code", error.code());
      body.put("message", error.message());
    } else if (reply.result() != null) {
      node.set("result", result(reply.result()));
    }
    return node;
  }

  private static ObjectNode result(Reply.Result result) {
    if (result instanceof Reply.RpcResult rpc) {
      return rpc.value();
    }
    ObjectNode node = NODES.objectNode();
    if (result instanceof Reply.Connected connected) {
      node.put("client", connected.client());
      node.put("node", connected.node());
      putNullable(node, "ttl", connected.ttl());
    } else if (result instanceof Reply.Subscribed subscribed) {
      node.put("epoch", subscribed.epoch());
      node.put("offset", subscribed.offset());
      node.put("recovered", subscribed.recovered());
    } else if (result instanceof Reply.Published published) {
      node.put("offset", published.offset());
    } else if (result instanceof Reply.HistoryResult history) {
      node.set("publications", publications(history));
      node.put("offset", history.offset());
      node.put("epoch", history.epoch());
      node.put("recovered", history.recovered());
    } else if (result instanceof Reply.PresenceResult presence) {
      ArrayNode clients = node.putArray("clients");
      presence.clients().forEach(client -> clients.add(clientInfo(client)));
      if (presence.cursor() != null) {
        node.put("cursor", presence.cursor());
      }
    } else if (result instanceof Reply.Refreshed refreshed) {
      putNullable(node, "ttl", refreshed.ttl());
    }
    return node;
  }

  private static ArrayNode publications(Reply.HistoryResult history) {
    ArrayNode array = NODES.arrayNode();
    for (Publication publication : history.publications()) {
      array.add(PublicationJson.toNode(publication));
    }
    return array;
  }

  static ObjectNode push(Push push) {
    ObjectNode node = NODES.objectNode();
    if (push instanceof Push.Message message) {
      node.put("type", "message");
      return PublicationJson.writeInto(node, message.publication());
    }
    if (push instanceof Push.Join join) {
      node.put("type", "join");
      return presenceEvent(node, join.channel().value(), join.client());
    }
    if (push instanceof Push.Leave leave) {
      node.put("type", "leave");
      return presenceEvent(node, leave.channel().value(), leave.client());
    }
    if (push instanceof Push.Reset reset) {
      node.put("type", "reset");
      node.put("channel", reset.channel().value());
      node.put("offset", reset.position().offset());
      node.put("epoch", reset.position().epoch());
      return node;
    }
    if (push instanceof Push.Subscribe subscribe) {
      node.put("type", "subscribe");
      node.put("channel", subscribe.channel().value());
      node.put("epoch", subscribe.position().epoch());
      node.put("offset", subscribe.position().offset());
      return node;
    }
    if (push instanceof Push.Unsubscribe unsubscribe) {
      node.put("type", "unsubscribe");
      node.put("channel", unsubscribe.channel().value());
      node.put("reason", unsubscribe.reason());
      return node;
    }
    Push.Disconnect disconnect = (Push.Disconnect) push;
    node.put("type", "disconnect");
    node.put("code", disconnect.code().code());
    node.put("reason", disconnect.reason());
    node.put("reconnect", disconnect.reconnect());
    return node;
  }

  private static ObjectNode presenceEvent(ObjectNode node, String channel, ClientInfo client) {
    node.put("channel", channel);
    node.put("user", client.user());
    node.put("client", client.client());
    return node;
  }

  static JsonNode clientInfo(ClientInfo client) {
    ObjectNode node = NODES.objectNode();
    node.put("user", client.user());
    node.put("client", client.client());
    node.put("node", client.node());
    return node;
  }

  private static void putNullable(ObjectNode node, String field, @Nullable Long value) {
    if (value == null) {
      node.putNull(field);
    } else {
      node.put(field, value.longValue());
    }
  }
}
