package herald.warmup;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import herald.channel.ChannelName;
import herald.security.AuthProperties;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.Date;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * The warm-up's client tokens: HS256, signed with the node's own secret, each for its own user (a
 * node caps connections per user) and good only for subscribing to the warm-up's channel, for as
 * long as the warm-up may last. They never leave the process except over loopback to the node.
 */
final class WarmUpTokens {

  private final MACSigner signer;
  private final @Nullable String issuer;
  private final @Nullable String audience;
  private final Clock clock;
  private final Duration lifetime;

  WarmUpTokens(AuthProperties auth, Clock clock, Duration lifetime) {
    try {
      this.signer =
          new MACSigner(Objects.requireNonNull(auth.hmacSecret()).getBytes(StandardCharsets.UTF_8));
    } catch (JOSEException tooShort) {
      // The secret's length is checked at start-up (AuthProperties); this cannot happen.
      throw new IllegalStateException(tooShort);
    }
    this.issuer = auth.issuer();
    this.audience = auth.audience();
    this.clock = clock;
    this.lifetime = lifetime;
  }

  /** A token for warm-up connection {@code index}, allowed to subscribe to {@code channel}. */
  String mint(int index, ChannelName channel) {
    Date now = Date.from(clock.instant());
    JWTClaimsSet.Builder claims =
        new JWTClaimsSet.Builder()
            .subject("herald-warm-up-" + index)
            .issueTime(now)
            .expirationTime(Date.from(clock.instant().plus(lifetime)))
            .claim("subscribe", List.of(channel.value()));
    if (issuer != null) {
      claims.issuer(issuer);
    }
    if (audience != null) {
      claims.audience(audience);
    }
    SignedJWT token = new SignedJWT(new JWSHeader(JWSAlgorithm.HS256), claims.build());
    try {
      token.sign(signer);
    } catch (JOSEException unexpected) {
      throw new IllegalStateException("could not sign a warm-up token", unexpected);
    }
    return token.serialize();
  }
}
