package herald.security;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.webtestclient.autoconfigure.AutoConfigureWebTestClient;
import org.springframework.core.ParameterizedTypeReference;
import org.springframework.http.MediaType;
import org.springframework.http.codec.ServerSentEvent;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.web.reactive.server.WebTestClient;
import reactor.netty.DisposableServer;
import reactor.netty.http.server.HttpServer;
import reactor.test.StepVerifier;

/**
 * RS256 tokens verified with keys fetched from a JWKS URI, through the same resource server: issuer
 * and audience checked, and unknown key ids unable to make the node refetch the set per token.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
@AutoConfigureWebTestClient
class JwksIntegrationTests {

  private static final RSAKey KEY = generate("k1");
  private static final RSAKey OTHER_KEY = generate("k1");
  private static final String ISSUER = "https://id.example";
  private static final String AUDIENCE = "herald";
  private static final AtomicInteger FETCHES = new AtomicInteger();
  private static final DisposableServer JWKS =
      HttpServer.create()
          .host("127.0.0.1")
          .port(0)
          .route(
              routes ->
                  routes.get(
                      "/jwks.json",
                      (request, response) -> {
                        FETCHES.incrementAndGet();
                        return response
                            .header("Content-Type", "application/json")
                            .sendString(
                                reactor.core.publisher.Mono.just(
                                    new JWKSet(KEY.toPublicJWK()).toString()));
                      }))
          .bindNow();

  @Autowired WebTestClient client;

  @DynamicPropertySource
  static void jwksUri(DynamicPropertyRegistry registry) {
    registry.add("herald.auth.jwks-uri", () -> "http://127.0.0.1:" + JWKS.port() + "/jwks.json");
    registry.add("herald.auth.issuer", () -> ISSUER);
    registry.add("herald.auth.audience", () -> AUDIENCE);
  }

  @AfterAll
  static void stopJwks() {
    JWKS.disposeNow();
  }

  private static RSAKey generate(String id) {
    try {
      return new RSAKeyGenerator(2048).keyID(id).generate();
    } catch (JOSEException e) {
      throw new IllegalStateException(e);
    }
  }

  private static String token(RSAKey key) throws JOSEException {
    return token(key, key.getKeyID(), ISSUER, AUDIENCE);
  }

  private static String token(RSAKey key, String keyId, String issuer, String audience)
      throws JOSEException {
    JWTClaimsSet claims =
        new JWTClaimsSet.Builder()
            .subject("alice")
            .issuer(issuer)
            .audience(audience)
            .expirationTime(Date.from(Instant.now().plusSeconds(600)))
            .claim("subscribe", List.of("news"))
            .build();
    SignedJWT jwt =
        new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.RS256).keyID(keyId).build(), claims);
    jwt.sign(new RSASSASigner(key));
    return jwt.serialize();
  }

  @Test
  void aTokenSignedWithAPublishedKeyOpensAStream() throws JOSEException {
    String token = token(KEY);
    var result =
        client
            .get()
            .uri("/sse?channel=news")
            .accept(MediaType.TEXT_EVENT_STREAM)
            .headers(headers -> headers.setBearerAuth(token))
            .exchange()
            .expectStatus()
            .isOk()
            .returnResult(new ParameterizedTypeReference<ServerSentEvent<String>>() {});
    StepVerifier.create(result.getResponseBody().filter(event -> event.id() != null))
        .assertNext(event -> assertThat(event.id()).isNotBlank())
        .thenCancel()
        .verify(Duration.ofSeconds(10));
  }

  @Test
  void aTokenSignedWithAnotherKeyIsRefused() throws JOSEException {
    String token = token(OTHER_KEY);
    client
        .get()
        .uri("/sse?channel=news")
        .accept(MediaType.TEXT_EVENT_STREAM)
        .headers(headers -> headers.setBearerAuth(token))
        .exchange()
        .expectStatus()
        .isUnauthorized()
        .expectBody()
        .jsonPath("$.error.code")
        .isEqualTo(401);
    assertThat(OTHER_KEY.getKeyID()).isEqualTo(KEY.getKeyID());
  }

  private void assertRefused(String token) {
    client
        .get()
        .uri("/sse?channel=news")
        .accept(MediaType.TEXT_EVENT_STREAM)
        .headers(headers -> headers.setBearerAuth(token))
        .exchange()
        .expectStatus()
        .isUnauthorized();
  }

  @Test
  void aTokenOfAnotherIssuerIsRefused() throws JOSEException {
    assertRefused(token(KEY, KEY.getKeyID(), "https://other.example", AUDIENCE));
  }

  @Test
  void aTokenForAnotherAudienceIsRefused() throws JOSEException {
    assertRefused(token(KEY, KEY.getKeyID(), ISSUER, "another-app"));
  }

  @Test
  void unknownKeyIdsDoNotMakeTheNodeFetchTheKeySetForEachToken() throws JOSEException {
    assertRefused(token(KEY, "warm-up", ISSUER, AUDIENCE));
    int before = FETCHES.get();

    for (int i = 0; i < 20; i++) {
      assertRefused(token(KEY, "made-up-" + i, ISSUER, AUDIENCE));
    }

    assertThat(FETCHES.get() - before)
        .as("at most one refetch per %s", JwksKeys.MIN_REFETCH_INTERVAL)
        .isLessThanOrEqualTo(1);
  }
}
