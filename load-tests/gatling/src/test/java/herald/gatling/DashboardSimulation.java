package herald.gatling;

import static io.gatling.javaapi.core.CoreDsl.*;
import static io.gatling.javaapi.http.HttpDsl.*;

import io.gatling.javaapi.core.ChainBuilder;
import io.gatling.javaapi.core.ScenarioBuilder;
import io.gatling.javaapi.core.Simulation;
import io.gatling.javaapi.http.HttpProtocolBuilder;
import java.time.Duration;

/**
 * A live dashboard over SSE (README "The protocol"): viewers open {@code GET /sse?channel=...} and watch it for
 * {@code herald.durationSeconds}, while backend publishers feed the channel through {@code POST
 * /api/v1/publish} (README "The protocol", header {@code X-API-Key}) at {@code herald.publishRate} per second.
 *
 * <p>Every publication a viewer receives is checked: it arrives within {@code
 * herald.maxDeliveryMillis} of being sent, and its offset is above the previous one (no duplicate,
 * no reordering). A viewer that waits longer than that bound plus one publish interval for the next
 * publication fails its check. The response time Gatling reports for "publication delivered" is the
 * wait for the next publication (about one publish interval), not a latency.
 */
public class DashboardSimulation extends Simulation {

  /** The most one publisher sends per second; more publishers share a higher rate. */
  private static final int RATE_PER_PUBLISHER = 50;

  private final LoadSettings settings = LoadSettings.fromSystemProperties();
  private final String channel = System.getProperty("herald.dashboardChannel", "dashboard:gatling");
  private final Tokens tokens =
      new Tokens(settings.hmacSecret(), settings.maxDuration().plusMinutes(5));

  private final int publishers =
      (settings.publishRate() + RATE_PER_PUBLISHER - 1) / RATE_PER_PUBLISHER;
  private final Duration publishInterval =
      Duration.ofNanos(1_000_000_000L * publishers / settings.publishRate());

  private final HttpProtocolBuilder protocol =
      http.baseUrl(settings.baseUrl().toString()).acceptHeader("application/json");

  private final ChainBuilder identify =
      exec(
          session -> {
            String user = "gatling-viewer-" + session.userId();
            return session.set("token", tokens.mint(user, channel));
          });

  /** The stream is live once the id-only block arrives: every channel is subscribed then. */
  private final ChainBuilder open =
      exec(
          sse("open /sse")
              .get("/sse?channel=" + channel)
              .header("Authorization", "Bearer #{token}")
              .await(Duration.ofSeconds(10))
              .on(sse.checkMessage("stream live").matching(jsonPath("$.id").exists())));

  private final ChainBuilder watch =
      during(settings.duration())
          .on(
              exec(
                  sse("next publication")
                      .setCheck()
                      .await(Duration.ofMillis(settings.maxDeliveryMillis()).plus(publishInterval))
                      .on(
                          sse.checkMessage("publication delivered")
                              .matching(jsonPath("$.event").is("message"))
                              .checkIf((message, session) -> session.contains("offset"))
                              .then(
                                  jsonPath("$.data.offset")
                                      .ofLong()
                                      .gt(session -> session.getLong("offset")))
                              .check(
                                  jsonPath("$.data.data.sentAt")
                                      .ofLong()
                                      .transform(sentAt -> deliveredInTime(sentAt))
                                      .is(true)
                                      .name(
                                          "delivered within "
                                              + settings.maxDeliveryMillis()
                                              + " ms of sending"),
                                  jsonPath("$.data.offset").ofLong().saveAs("offset")))));

  private final ScenarioBuilder viewers =
      scenario("sse dashboard").exec(identify, open, watch).exec(sse("close /sse").close());

  /** Publishers run from the first viewer to past the last, so every watch loop is fed. */
  private final ScenarioBuilder publisher =
      scenario("backend publisher")
          .during(settings.ramp().plus(settings.duration()).plusSeconds(5))
          .on(
              pace(publishInterval)
                  .exec(
                      http("publish")
                          .post("/api/v1/publish")
                          .header("X-API-Key", settings.apiKey())
                          .body(
                              StringBody(
                                  session ->
                                      "{\"channel\":\"%s\",\"data\":{\"publisher\":%d,\"sentAt\":%d}}"
                                          .formatted(
                                              channel,
                                              session.userId(),
                                              System.currentTimeMillis())))
                          .asJson()
                          .check(status().is(200), jsonPath("$.offset").exists())));

  /** A boolean, not the latency itself, so that Gatling groups all late deliveries as one error. */
  private boolean deliveredInTime(long sentAt) {
    return System.currentTimeMillis() - sentAt <= settings.maxDeliveryMillis();
  }

  {
    setUp(
            viewers.injectOpen(rampUsers(settings.users()).during(settings.ramp())),
            publisher.injectOpen(atOnceUsers(publishers)))
        .protocols(protocol)
        .maxDuration(settings.maxDuration())
        .assertions(
            global().failedRequests().percent().lt(1.0),
            details("open /sse")
                .responseTime()
                .percentile(95)
                .lt((int) settings.connectP95Millis()),
            details("stream live")
                .responseTime()
                .percentile(95)
                .lt((int) settings.connectP95Millis()),
            details("publish").responseTime().percentile(99).lt((int) settings.p99Millis()),
            details("publication delivered").successfulRequests().count().gt(0L));
  }
}
