package herald.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Base64;
import java.util.stream.Stream;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.springframework.security.oauth2.core.OAuth2TokenValidator;
import org.springframework.security.oauth2.jose.jws.MacAlgorithm;
import org.springframework.security.oauth2.jwt.BadJwtException;
import org.springframework.security.oauth2.jwt.Jwt;
import org.springframework.security.oauth2.jwt.NimbusReactiveJwtDecoder;
import org.springframework.security.oauth2.jwt.ReactiveJwtDecoder;

/**
 * Holds {@link Hs256JwtDecoder} to Spring Security's Nimbus decoder with the same secret and
 * validator: every token here gets the same answer from both, and an accepted one the same
 * credentials.
 */
class Hs256JwtDecoderTests {

  private static final String SECRET = "0123456789abcdef0123456789abcdef-secret";
  private static final Instant NOW = Instant.parse("2026-12-03T10:00:00Z");
  private static final long NOW_S = NOW.getEpochSecond();
  private static final String HS256 = "{\"alg\":\"HS256\",\"typ\":\"JWT\"}";

  private static final AuthProperties AUTH =
      new AuthProperties(SECRET, null, "https://id.example", "herald", true, false, false);
  private static final OAuth2TokenValidator<Jwt> VALIDATOR =
      SecurityConfiguration.validator(AUTH, Clock.fixed(NOW, ZoneOffset.UTC));
  private static final SecretKeySpec KEY = SecurityConfiguration.hmacKey(AUTH);

  private final ReactiveJwtDecoder fast = new Hs256JwtDecoder(KEY, VALIDATOR);
  private final ReactiveJwtDecoder nimbus = nimbus();

  private static ReactiveJwtDecoder nimbus() {
    NimbusReactiveJwtDecoder decoder =
        NimbusReactiveJwtDecoder.withSecretKey(KEY).macAlgorithm(MacAlgorithm.HS256).build();
    decoder.setJwtValidator(VALIDATOR);
    return decoder;
  }

  private static String claims(String extra) {
    return "{\"sub\":\"ann\",\"iss\":\"https://id.example\",\"aud\":\"herald\",\"exp\":"
        + (NOW_S + 600)
        + extra
        + "}";
  }

  static Stream<Arguments> tokens() {
    String valid = sign(HS256, claims(""), SECRET, "HmacSHA256");
    String[] parts = valid.split("\\.");
    return Stream.of(
        arguments("valid", valid),
        arguments(
            "valid with grants",
            sign(
                HS256,
                claims(
                    ",\"subscribe\":[\"news:*\"],\"publish\":[\"chat:a\"],"
                        + "\"channels\":[\"news:x\"],\"iat\":"
                        + NOW_S
                        + ",\"nbf\":"
                        + (NOW_S - 5)),
                SECRET,
                "HmacSHA256")),
        arguments(
            "audience list",
            sign(
                HS256,
                claims("").replace("\"herald\"", "[\"x\",\"herald\"]"),
                SECRET,
                "HmacSHA256")),
        arguments(
            "other typ",
            sign("{\"alg\":\"HS256\",\"typ\":\"at+jwt\"}", claims(""), SECRET, "HmacSHA256")),
        arguments("no typ", sign("{\"alg\":\"HS256\"}", claims(""), SECRET, "HmacSHA256")),
        arguments("wrong secret", sign(HS256, claims(""), SECRET + "x", "HmacSHA256")),
        arguments(
            "tampered payload",
            parts[0] + "." + b64(claims(",\"publish\":[\"*\"]")) + "." + parts[2]),
        arguments("no signature", parts[0] + "." + parts[1] + "."),
        arguments("alg none", b64("{\"alg\":\"none\"}") + "." + parts[1] + "."),
        arguments("HS512", sign("{\"alg\":\"HS512\"}", claims(""), SECRET, "HmacSHA512")),
        arguments("alg lower case", sign("{\"alg\":\"hs256\"}", claims(""), SECRET, "HmacSHA256")),
        arguments(
            "crit header",
            sign("{\"alg\":\"HS256\",\"crit\":[\"x\"],\"x\":1}", claims(""), SECRET, "HmacSHA256")),
        arguments(
            "expired",
            sign(
                HS256,
                claims("").replace("" + (NOW_S + 600), "" + (NOW_S - 60)),
                SECRET,
                "HmacSHA256")),
        arguments(
            "expired within the skew",
            sign(
                HS256,
                claims("").replace("" + (NOW_S + 600), "" + (NOW_S - 10)),
                SECRET,
                "HmacSHA256")),
        arguments(
            "not yet valid",
            sign(HS256, claims(",\"nbf\":" + (NOW_S + 120)), SECRET, "HmacSHA256")),
        arguments(
            "no exp",
            sign(
                HS256,
                "{\"sub\":\"ann\",\"iss\":\"https://id.example\",\"aud\":\"herald\"}",
                SECRET,
                "HmacSHA256")),
        arguments(
            "no sub",
            sign(HS256, claims("").replace("\"sub\":\"ann\",", ""), SECRET, "HmacSHA256")),
        arguments(
            "blank sub", sign(HS256, claims("").replace("\"ann\"", "\" \""), SECRET, "HmacSHA256")),
        arguments(
            "other issuer",
            sign(HS256, claims("").replace("id.example", "evil.example"), SECRET, "HmacSHA256")),
        arguments(
            "other audience",
            sign(HS256, claims("").replace("\"herald\"", "\"other\""), SECRET, "HmacSHA256")),
        arguments(
            "bad channel claim",
            sign(HS256, claims(",\"channels\":[\"no namespace\"]"), SECRET, "HmacSHA256")),
        arguments(
            "duplicate member", sign(HS256, claims(",\"sub\":\"admin\""), SECRET, "HmacSHA256")),
        arguments("payload an array", sign(HS256, "[1,2]", SECRET, "HmacSHA256")),
        arguments("payload empty object", sign(HS256, "{}", SECRET, "HmacSHA256")),
        arguments("payload not JSON", sign(HS256, "not json", SECRET, "HmacSHA256")),
        arguments("two parts", parts[0] + "." + parts[1]),
        arguments("four parts", valid + ".x"),
        arguments("garbage", "a.b.c"),
        arguments("empty", ""),
        arguments("not base64url", parts[0] + ".*&%." + parts[2]));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("tokens")
  void answersAsSpringSecuritysNimbusDecoderDoes(String name, String token) {
    @Nullable Jwt expected = decodeOrNull(nimbus, token);
    @Nullable Jwt actual = decodeOrNull(fast, token);

    assertThat(actual != null).as("accepted").isEqualTo(expected != null);
    if (expected != null && actual != null) {
      assertThat(JwtCredentials.from(actual)).isEqualTo(JwtCredentials.from(expected));
      assertThat(actual.getClaims()).isEqualTo(expected.getClaims());
      assertThat(actual.getHeaders()).isEqualTo(expected.getHeaders());
    }
  }

  /** Registered claims of the wrong type: Nimbus converts some, Herald refuses them all. */
  static Stream<Arguments> wrongTypes() {
    return Stream.of(
        arguments("sub a number", claims("").replace("\"ann\"", "7")),
        arguments("sub an object", claims("").replace("\"ann\"", "{}")),
        arguments("iss a number", claims("").replace("\"https://id.example\"", "7")),
        arguments("jti a list", claims(",\"jti\":[\"a\"]")),
        arguments(
            "exp a string",
            claims("").replace("\"exp\":" + (NOW_S + 600), "\"exp\":\"" + (NOW_S + 600) + "\"")),
        arguments("nbf a list", claims(",\"nbf\":[1]")),
        arguments("aud a number", claims("").replace("\"herald\"", "7")),
        arguments("aud a list with a number", claims("").replace("\"herald\"", "[\"herald\",7]")));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("wrongTypes")
  void aRegisteredClaimOfTheWrongTypeIsRefused(String name, String payload) {
    assertThat(decodeOrNull(fast, sign(HS256, payload, SECRET, "HmacSHA256"))).isNull();
    // The same claims with the right types pass: the type alone is what is refused.
    assertThat(decodeOrNull(fast, sign(HS256, claims(""), SECRET, "HmacSHA256"))).isNotNull();
  }

  @Test
  void theCasesIncludeAcceptedAndRefusedTokens() {
    long accepted =
        tokens().filter(args -> decodeOrNull(nimbus, (String) args.get()[1]) != null).count();
    assertThat(accepted).isBetween(4L, 10L);
  }

  @Test
  void aRefusedTokenIsABadJwt() {
    String token = sign(HS256, claims(""), SECRET + "x", "HmacSHA256");
    assertThat(
            fast.decode(token)
                .onErrorResume(BadJwtException.class, e -> reactor.core.publisher.Mono.empty())
                .block())
        .isNull();
  }

  private static @Nullable Jwt decodeOrNull(ReactiveJwtDecoder decoder, String token) {
    try {
      return decoder.decode(token).block();
    } catch (RuntimeException refused) {
      return null;
    }
  }

  private static String sign(String header, String payload, String secret, String algorithm) {
    String input = b64(header) + "." + b64(payload);
    try {
      Mac mac = Mac.getInstance(algorithm);
      mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), algorithm));
      byte[] signature = mac.doFinal(input.getBytes(StandardCharsets.US_ASCII));
      return input + "." + Base64.getUrlEncoder().withoutPadding().encodeToString(signature);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static String b64(String text) {
    return Base64.getUrlEncoder()
        .withoutPadding()
        .encodeToString(text.getBytes(StandardCharsets.UTF_8));
  }
}
