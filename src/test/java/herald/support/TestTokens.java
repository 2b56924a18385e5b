package herald.support;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.PlainJWT;
import com.nimbusds.jwt.SignedJWT;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Mints test JWTs that read like the README's examples: {@code
 * TestTokens.user("alice").subscribe("document:*")}. Signed with {@link #SECRET} unless told
 * otherwise.
 */
public final class TestTokens {

  /** The HS256 secret integration tests configure as {@code herald.auth.hmac-secret}. */
  public static final String SECRET = "test-secret-test-secret-test-secret-0123456789";

  /** The backend API key integration tests configure as {@code herald.api.key}. */
  public static final String API_KEY = "test-api-key";

  private final String user;
  private final List<String> subscribe = new ArrayList<>();
  private final List<String> publish = new ArrayList<>();
  private final List<String> channels = new ArrayList<>();
  private Instant expiresAt = Instant.now().plus(Duration.ofHours(1));
  private boolean withExp = true;
  private String secret = SECRET;
  private @Nullable String issuer;
  private @Nullable String audience;

  private TestTokens(String user) {
    this.user = user;
  }

  public static TestTokens user(String user) {
    return new TestTokens(user);
  }

  public TestTokens subscribe(String... patterns) {
    subscribe.addAll(List.of(patterns));
    return this;
  }

  public TestTokens publish(String... patterns) {
    publish.addAll(List.of(patterns));
    return this;
  }

  /** The {@code channels} claim: channels the server subscribes a WebSocket connection to. */
  public TestTokens channels(String... names) {
    channels.addAll(List.of(names));
    return this;
  }

  public TestTokens expiresIn(Duration duration) {
    this.expiresAt = Instant.now().plus(duration);
    return this;
  }

  public TestTokens expired() {
    this.expiresAt = Instant.now().minus(Duration.ofMinutes(5));
    return this;
  }

  public TestTokens withoutExp() {
    this.withExp = false;
    return this;
  }

  public TestTokens issuer(String issuer) {
    this.issuer = issuer;
    return this;
  }

  public TestTokens audience(String audience) {
    this.audience = audience;
    return this;
  }

  public TestTokens signedWith(String otherSecret) {
    this.secret = otherSecret;
    return this;
  }

  private JWTClaimsSet claims() {
    JWTClaimsSet.Builder claims =
        new JWTClaimsSet.Builder()
            .subject(user)
            .issueTime(new Date())
            .claim("subscribe", subscribe);
    claims.claim("publish", publish);
    if (!channels.isEmpty()) {
      claims.claim("channels", channels);
    }
    if (withExp) {
      claims.expirationTime(Date.from(expiresAt));
    }
    if (issuer != null) {
      claims.issuer(issuer);
    }
    if (audience != null) {
      claims.audience(audience);
    }
    return claims.build();
  }

  /** The signed HS256 token. */
  public String token() {
    try {
      SignedJWT jwt = new SignedJWT(new JWSHeader(JWSAlgorithm.HS256), claims());
      jwt.sign(new MACSigner(secret.getBytes(StandardCharsets.UTF_8)));
      return jwt.serialize();
    } catch (JOSEException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The same claims as an unsigned {@code alg: none} token, which must be refused. */
  public String unsignedToken() {
    return new PlainJWT(claims()).serialize();
  }
}
