package herald.security;

import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKMatcher;
import com.nimbusds.jose.jwk.JWKSelector;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jwt.SignedJWT;
import java.net.URI;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicReference;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.web.reactive.function.client.WebClient;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The signing keys published at {@code herald.auth.jwks-uri}, fetched without blocking and cached.
 *
 * <p>A token whose key is not in the cached set (a new {@code kid}, or a forged one) refetches the
 * set, but at most once per {@link #MIN_REFETCH_INTERVAL}: Spring Security's reactive JWKS source
 * refetches on every unknown {@code kid}, so anyone could make the node hammer the identity
 * provider with made-up tokens. Nimbus' {@code JWKSourceBuilder} has such a rate limit, but it
 * fetches with blocking I/O, which the event loop must not do. The set is also refetched when it is
 * older than {@link #MAX_AGE}, so a key the provider withdrew stops being trusted. A failed fetch
 * keeps the last set that was read.
 */
final class JwksKeys {

  private static final Logger log = LoggerFactory.getLogger(JwksKeys.class);

  /** Shortest time between two fetches caused by unknown keys. */
  static final Duration MIN_REFETCH_INTERVAL = Duration.ofSeconds(30);

  /** Age after which the set is fetched again on the next token. */
  static final Duration MAX_AGE = Duration.ofMinutes(5);

  /** Longest a fetch may take; a handshake waiting for keys waits at most this long. */
  static final Duration FETCH_TIMEOUT = Duration.ofSeconds(10);

  private static final JWKSet NO_KEYS = new JWKSet();

  private final WebClient client;
  private final URI uri;
  private final Clock clock;
  private final Duration fetchTimeout;
  private final AtomicReference<@Nullable Fetch> current = new AtomicReference<>();
  private volatile @Nullable JWKSet lastRead;

  /** One fetch of the set, shared by every token that asks while it runs and after. */
  private record Fetch(Instant startedAt, Mono<JWKSet> keys) {
    boolean olderThan(Duration age, Instant now) {
      return !now.isBefore(startedAt.plus(age));
    }
  }

  JwksKeys(WebClient client, URI uri, Clock clock) {
    this(client, uri, clock, FETCH_TIMEOUT);
  }

  JwksKeys(WebClient client, URI uri, Clock clock, Duration fetchTimeout) {
    this.client = client;
    this.uri = uri;
    this.clock = clock;
    this.fetchTimeout = fetchTimeout;
  }

  /**
   * The published keys that may have signed {@code jwt}. Cold; emits on the HTTP client's thread
   * when a fetch runs, else at once; empty when none matches (the token is then refused).
   */
  Flux<JWK> keysFor(SignedJWT jwt) {
    JWKMatcher matcher = JWKMatcher.forJWSHeader(jwt.getHeader());
    if (matcher == null) {
      return Flux.empty();
    }
    JWKSelector selector = new JWKSelector(matcher);
    return Mono.defer(
            () -> {
              Fetch fetch = fresh();
              return fetch
                  .keys()
                  // Nothing read yet (the provider was down): a miss like any other.
                  .defaultIfEmpty(NO_KEYS)
                  .flatMap(set -> selectOrRefetch(selector, set, fetch));
            })
        .flatMapIterable(keys -> keys);
  }

  private Mono<List<JWK>> selectOrRefetch(JWKSelector selector, JWKSet set, Fetch fetch) {
    List<JWK> keys = selector.select(set);
    if (!keys.isEmpty()) {
      return Mono.just(keys);
    }
    Instant now = clock.instant();
    if (!fetch.olderThan(MIN_REFETCH_INTERVAL, now)) {
      return Mono.just(keys);
    }
    return start(fetch, now).keys().map(selector::select);
  }

  private Fetch fresh() {
    Fetch fetch = current.get();
    Instant now = clock.instant();
    return fetch == null || fetch.olderThan(MAX_AGE, now) ? start(fetch, now) : fetch;
  }

  /** Starts a fetch, unless another token started one since {@code seen}: then that one. */
  private Fetch start(@Nullable Fetch seen, Instant now) {
    Fetch next = new Fetch(now, download().cache());
    return current.compareAndSet(seen, next) ? next : Objects.requireNonNull(current.get());
  }

  private Mono<JWKSet> download() {
    return client
        .get()
        .uri(uri)
        .retrieve()
        .bodyToMono(String.class)
        .timeout(fetchTimeout)
        .map(JwksKeys::parse)
        .doOnNext(set -> lastRead = set)
        .onErrorResume(
            error -> {
              log.warn(
                  "jwks={} could not be read, keeping the last set: {}", uri, error.toString());
              return Mono.justOrEmpty(lastRead);
            });
  }

  private static JWKSet parse(String body) {
    try {
      return JWKSet.parse(body);
    } catch (ParseException e) {
      throw new IllegalStateException("not a JWK set: " + e.getMessage());
    }
  }
}
