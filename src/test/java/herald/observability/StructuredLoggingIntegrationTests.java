package herald.observability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import herald.support.TestIds;
import herald.support.TestTokens;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.boot.webtestclient.autoconfigure.AutoConfigureWebTestClient;
import org.springframework.core.ParameterizedTypeReference;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.http.codec.ServerSentEvent;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.web.reactive.server.WebTestClient;
import tools.jackson.databind.json.JsonMapper;

/**
 * README "Operations", logs: with {@code logging.structured.format.console=ecs} (what {@code
 * LOGGING_STRUCTURED_FORMAT_CONSOLE=ecs} sets) the node writes one JSON object per line, and a line
 * about a connection carries its id and user as fields of their own.
 */
@SpringBootTest(
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {
      "herald.auth.hmac-secret=" + TestTokens.SECRET,
      "herald.api.key=" + TestTokens.API_KEY,
      "logging.structured.format.console=ecs",
      // Connections opening and closing are logged at DEBUG.
      "logging.level.herald.connection=DEBUG"
    })
@AutoConfigureWebTestClient
@ExtendWith(OutputCaptureExtension.class)
// The logging system is configured per context: the next context must set up its own.
@DirtiesContext
class StructuredLoggingIntegrationTests {

  private static final JsonMapper JSON = JsonMapper.shared();
  private static final Duration SLOW = Duration.ofSeconds(60);
  private static final ParameterizedTypeReference<ServerSentEvent<String>> SSE =
      new ParameterizedTypeReference<>() {};

  @Autowired WebTestClient http;

  @Test
  void linesAreJsonAndALineAboutAConnectionHasItsClientAndUser(CapturedOutput output) {
    String user = TestIds.next("carol");
    String token = TestTokens.user(user).subscribe("news").token();
    // An SSE stream read up to its first id, then dropped. WebTestClient, not the 5 s test clients:
    // the first connection of a fresh node on a loaded machine can take longer than that.
    List<ServerSentEvent<String>> opening =
        http.mutate()
            .responseTimeout(SLOW)
            .build()
            .get()
            .uri("/sse?channel=news")
            .accept(MediaType.TEXT_EVENT_STREAM)
            .header(HttpHeaders.AUTHORIZATION, "Bearer " + token)
            .exchange()
            .expectStatus()
            .isOk()
            .returnResult(SSE)
            .getResponseBody()
            .filter(event -> event.id() != null)
            .take(1)
            .collectList()
            .block(SLOW);
    assertThat(opening).hasSize(1);

    Map<String, Object> closed =
        await().atMost(SLOW).until(() -> lineAbout(output, user, "closed"), line -> line != null);
    assertThat(closed).containsEntry("user", user).containsKey("client");
    assertThat((String) closed.get("client")).isNotBlank();
    assertThat(closed.get("message")).asString().contains("client=" + closed.get("client"));

    // From the node's first line on: what the test framework printed before this context set up
    // its logging (in a JVM shared with other test classes, in the previous format) is not ours.
    List<String> lines =
        output
            .getOut()
            .lines()
            .dropWhile(line -> !line.startsWith("{"))
            .filter(line -> !line.isBlank())
            .toList();
    assertThat(lines).isNotEmpty();
    for (String line : lines) {
      assertThat(JSON.readTree(line).isObject()).as("a JSON object: %s", line).isTrue();
    }
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> lineAbout(CapturedOutput output, String user, String ending) {
    return output
        .getOut()
        .lines()
        .filter(line -> line.startsWith("{") && line.contains(user))
        .map(line -> (Map<String, Object>) JSON.readValue(line, Map.class))
        .filter(line -> String.valueOf(line.get("message")).endsWith(ending))
        .findFirst()
        .orElse(null);
  }
}
