package herald.gatling;

import static io.gatling.javaapi.core.CoreDsl.*;
import static io.gatling.javaapi.http.HttpDsl.*;

import io.gatling.javaapi.core.ChainBuilder;
import io.gatling.javaapi.core.ScenarioBuilder;
import io.gatling.javaapi.core.Session;
import io.gatling.javaapi.core.Simulation;
import io.gatling.javaapi.http.HttpProtocolBuilder;
import io.gatling.javaapi.http.WsFrameCheck;
import java.time.Duration;

/**
 * A WebSocket chat room (README "The protocol", subprotocol {@code herald.json}): every user opens {@code /ws},
 * sends {@code connect}, subscribes to one shared room and publishes a message every {@code
 * herald.chatPaceMillis} for {@code herald.durationSeconds}, then closes.
 *
 * <p>Each publish is complete when two frames have arrived, in either order: the reply to the
 * request and the user's own message coming back through the room, which proves the fan-out
 * delivered it. The Redis engine sends the reply first; the in-memory engine may deliver first.
 * Gatling's checks of one sequence run in order, so both checks accept either frame and the second
 * takes whichever the first did not. Gatling times both from the send, so "publish: reply and own
 * delivery" is the round trip a chat user sees.
 *
 * <p>Clients publish only where the namespace allows it: start a secured node with {@code
 * HERALD_NAMESPACES_CHAT_CLIENTPUBLISH=true} (insecure development mode allows it everywhere).
 */
public class ChatSimulation extends Simulation {

  private final LoadSettings settings = LoadSettings.fromSystemProperties();
  private final String room = System.getProperty("herald.chatRoom", "chat:gatling");
  private final Tokens tokens =
      new Tokens(settings.hmacSecret(), settings.maxDuration().plusMinutes(5));

  private final HttpProtocolBuilder protocol =
      http.baseUrl(settings.baseUrl().toString()).wsBaseUrl(settings.wsBaseUrl());

  /** Each virtual user is a user of its own, so per-user limits count as for real clients. */
  private final ChainBuilder identify =
      exec(
          session -> {
            String user = "gatling-chat-" + session.userId();
            return session.set("user", user).set("token", tokens.mint(user, room));
          });

  private final ChainBuilder join =
      exec(ws("open /ws")
              .connect("/ws")
              .subprotocol("herald.json")
              .header("Authorization", "Bearer #{token}"))
          .exec(
              ws("connect")
                  .sendText("{\"id\":1,\"op\":\"connect\",\"token\":\"#{token}\"}")
                  .await(Duration.ofSeconds(5))
                  .on(reply("connect reply", 1).check(jsonPath("$.result.client").exists())))
          .exec(
              ws("subscribe")
                  .sendText("{\"id\":2,\"op\":\"subscribe\",\"channel\":\"" + room + "\"}")
                  .await(Duration.ofSeconds(5))
                  .on(reply("subscribe reply", 2).check(jsonPath("$.result.epoch").exists())));

  /** Request ids 1 and 2 went to connect and subscribe; publications count on from 3. */
  private final ChainBuilder chat =
      during(settings.duration(), "i")
          .on(
              pace(settings.chatPace())
                  .exec(session -> session.set("id", session.getInt("i") + 3))
                  .exec(
                      ws("publish")
                          .sendText(
                              "{\"id\":#{id},\"op\":\"publish\",\"channel\":\""
                                  + room
                                  + "\",\"data\":{\"user\":\"#{user}\",\"n\":#{id},"
                                  + "\"sentAt\":#{currentTimeMillis()}}}")
                          .await(Duration.ofMillis(settings.maxDeliveryMillis()))
                          .on(
                              publishOutcome("publish: first answer"),
                              publishOutcome("publish: reply and own delivery"))));

  private final ScenarioBuilder scenario =
      scenario("websocket chat").exec(identify, join, chat).exec(ws("close").close());

  {
    setUp(scenario.injectOpen(rampUsers(settings.users()).during(settings.ramp())))
        .protocols(protocol)
        .maxDuration(settings.maxDuration())
        .assertions(
            global().failedRequests().percent().lt(1.0),
            details("open /ws").responseTime().percentile(95).lt((int) settings.connectP95Millis()),
            details("subscribe reply")
                .responseTime()
                .percentile(95)
                .lt((int) settings.connectP95Millis()),
            details("publish: reply and own delivery")
                .responseTime()
                .percentile(99)
                .lt((int) settings.p99Millis()),
            details("publish: reply and own delivery").successfulRequests().count().gt(0L));
  }

  /** The reply to request {@code id}; pushes of the room arriving meanwhile are not it. */
  private static WsFrameCheck.Text reply(String name, int id) {
    return ws.checkTextMessage(name)
        .matching(jsonPath("$.id").ofInt().is(id))
        .check(jsonPath("$.error").notExists());
  }

  /**
   * Either the reply to this publish or this user's own message delivered back through the room.
   * Other members' messages do not match and are skipped. An error reply fails the check.
   */
  private static WsFrameCheck.Text publishOutcome(String name) {
    return ws.checkTextMessage(name)
        .matching(regex(ChatSimulation::replyOrOwnDelivery))
        .check(jsonPath("$.error").notExists());
  }

  private static String replyOrOwnDelivery(Session session) {
    long id = session.getLong("id");
    return "^\\{\"id\":"
        + id
        + ",|\"data\":\\{\"user\":\""
        + session.getString("user")
        + "\",\"n\":"
        + id
        + ",";
  }
}
