package herald.api;

import herald.support.TestApi;
import herald.support.TestTokens;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.webtestclient.autoconfigure.AutoConfigureWebTestClient;
import org.springframework.test.web.reactive.server.WebTestClient;

/** A node without {@code herald.api.key}: the backend API is off and answers 403 to everything. */
@SpringBootTest(
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {"herald.auth.hmac-secret=" + TestTokens.SECRET})
@AutoConfigureWebTestClient
class ApiWithoutKeyIntegrationTests {

  @Autowired WebTestClient http;

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("herald.api.ApiIntegrationTests#everyEndpoint")
  void everyCallWithoutAKeyAnswers403(String method, String path, String body) {
    call(new TestApi(http).withKey(null), method, path, body).assertError(403);
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("herald.api.ApiIntegrationTests#everyEndpoint")
  void everyCallWithAnyKeyAnswers403(String method, String path, String body) {
    call(new TestApi(http), method, path, body).assertError(403);
    call(new TestApi(http).withKey(""), method, path, body).assertError(403);
  }

  private static TestApi.Answer call(TestApi api, String method, String path, String body) {
    return method.equals("GET") ? api.get(path) : api.postRaw(path, body);
  }
}
