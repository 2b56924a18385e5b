package herald.security;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.web.reactive.function.client.WebClient;
import reactor.core.publisher.Mono;
import reactor.netty.DisposableServer;
import reactor.netty.http.server.HttpServer;
import reactor.test.StepVerifier;

/**
 * {@link JwksKeys} against a real JWKS endpoint on loopback: unknown key ids refetch the set at
 * most once per {@link JwksKeys#MIN_REFETCH_INTERVAL}, a rotated key is found after it, and the set
 * is read again once older than {@link JwksKeys#MAX_AGE}.
 */
class JwksKeysTests {

  private static final Duration TIMEOUT = Duration.ofSeconds(90);

  private static final RSAKey FIRST = generate("first");
  private static final RSAKey ROTATED = generate("rotated");
  private final AtomicReference<JWKSet> published = new AtomicReference<>(set(FIRST));
  private final AtomicInteger fetches = new AtomicInteger();
  private final DisposableServer server =
      HttpServer.create()
          .host("127.0.0.1")
          .port(0)
          .route(
              routes ->
                  routes.get(
                      "/jwks.json",
                      (request, response) -> {
                        fetches.incrementAndGet();
                        return response.sendString(Mono.just(published.get().toString()));
                      }))
          .bindNow();
  private final MutableClock clock = new MutableClock();
  private final JwksKeys keys =
      new JwksKeys(
          WebClient.create(),
          URI.create("http://127.0.0.1:" + server.port() + "/jwks.json"),
          clock);

  @AfterEach
  void stop() {
    server.disposeNow();
  }

  @Test
  void unknownKeyIdsRefetchAtMostOncePerInterval() {
    assertThat(keyIds("first")).containsExactly("first");
    for (int i = 0; i < 10; i++) {
      assertThat(keyIds("unknown-" + i)).isEmpty();
    }
    assertThat(fetches.get()).as("the first read, and no refetch yet").isEqualTo(1);

    clock.advance(JwksKeys.MIN_REFETCH_INTERVAL);
    for (int i = 0; i < 10; i++) {
      assertThat(keyIds("unknown-" + i)).isEmpty();
    }
    assertThat(fetches.get()).as("one refetch for ten unknown ids").isEqualTo(2);
  }

  @Test
  void aRotatedKeyIsFoundOnceTheIntervalHasPassed() {
    assertThat(keyIds("first")).containsExactly("first");
    published.set(set(FIRST, ROTATED));

    assertThat(keyIds("rotated")).as("within the interval").isEmpty();
    clock.advance(JwksKeys.MIN_REFETCH_INTERVAL);
    assertThat(keyIds("rotated")).containsExactly("rotated");
    assertThat(keyIds("first")).as("from the cache").containsExactly("first");
    assertThat(fetches.get()).isEqualTo(2);
  }

  @Test
  void aWithdrawnKeyStopsBeingTrustedOnceTheSetIsOlderThanItsMaximumAge() {
    assertThat(keyIds("first")).containsExactly("first");
    published.set(set(ROTATED));

    clock.advance(JwksKeys.MAX_AGE);

    assertThat(keyIds("first")).isEmpty();
    assertThat(keyIds("rotated")).containsExactly("rotated");
  }

  @Test
  void aFailedFetchKeepsTheLastSetRead() {
    assertThat(keyIds("first")).containsExactly("first");
    server.disposeNow();

    clock.advance(JwksKeys.MAX_AGE);

    assertThat(keyIds("first")).containsExactly("first");
  }

  private List<String> keyIds(String keyId) {
    SignedJWT jwt =
        new SignedJWT(
            new JWSHeader.Builder(JWSAlgorithm.RS256).keyID(keyId).build(),
            new JWTClaimsSet.Builder().subject("alice").build());
    List<String> ids = new ArrayList<>();
    StepVerifier.create(keys.keysFor(jwt).map(JWK::getKeyID).collectList())
        .consumeNextWith(ids::addAll)
        .expectComplete()
        .verify(TIMEOUT);
    return ids;
  }

  private static JWKSet set(RSAKey... keys) {
    return new JWKSet(List.of(keys).stream().map(key -> (JWK) key.toPublicJWK()).toList());
  }

  private static RSAKey generate(String id) {
    try {
      return new RSAKeyGenerator(2048).keyID(id).generate();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /** A clock the test moves. */
  private static final class MutableClock extends Clock {
    private volatile Instant now = Instant.parse("2026-01-01T00:00:00Z");

    void advance(Duration duration) {
      now = now.plus(duration);
    }

    @Override
    public ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      return this;
    }

    @Override
    public Instant instant() {
      return now;
    }
  }
}
