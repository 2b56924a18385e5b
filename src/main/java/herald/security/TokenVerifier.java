package herald.security;

import reactor.core.publisher.Mono;

/** Turns a client's token into {@link Credentials}, or refuses it. */
public interface TokenVerifier {

  /**
   * Verifies {@code token}. Cold; emits the credentials, or fails with a {@code HeraldException} of
   * code 401 whose message never contains the token.
   */
  Mono<Credentials> verify(String token);

  /** Whether tokens are verified at all; false only in insecure development mode. */
  boolean secure();
}
