package herald.security;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.source.JWKSecurityContextJWKSet;
import com.nimbusds.jose.proc.JWSVerificationKeySelector;
import herald.channel.ChannelOptionsResolver;
import herald.protocol.ErrorCode;
import herald.web.ErrorResponses;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import javax.crypto.spec.SecretKeySpec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.annotation.Order;
import org.springframework.core.env.Environment;
import org.springframework.security.config.observation.SecurityObservationSettings;
import org.springframework.security.config.web.server.SecurityWebFiltersOrder;
import org.springframework.security.config.web.server.ServerHttpSecurity;
import org.springframework.security.oauth2.core.DelegatingOAuth2TokenValidator;
import org.springframework.security.oauth2.core.OAuth2TokenValidator;
import org.springframework.security.oauth2.jwt.Jwt;
import org.springframework.security.oauth2.jwt.JwtAudienceValidator;
import org.springframework.security.oauth2.jwt.JwtClaimNames;
import org.springframework.security.oauth2.jwt.JwtClaimValidator;
import org.springframework.security.oauth2.jwt.JwtIssuerValidator;
import org.springframework.security.oauth2.jwt.JwtTimestampValidator;
import org.springframework.security.oauth2.jwt.NimbusReactiveJwtDecoder;
import org.springframework.security.oauth2.jwt.ReactiveJwtDecoder;
import org.springframework.security.web.server.SecurityWebFilterChain;
import org.springframework.security.web.server.ServerAuthenticationEntryPoint;
import org.springframework.security.web.server.context.NoOpServerSecurityContextRepository;
import org.springframework.security.web.server.util.matcher.NegatedServerWebExchangeMatcher;
import org.springframework.security.web.server.util.matcher.ServerWebExchangeMatchers;
import org.springframework.util.StringUtils;
import org.springframework.web.reactive.function.client.WebClient;

/**
 * Wires authentication: JWTs through Spring Security's reactive resource server for clients, the
 * API key for backends. (The WebSocket endpoint, served ahead of WebFlux, checks the Origin and the
 * token itself, with the same {@link OriginPolicy} and {@link TokenVerifier}.)
 */
@Configuration(proxyBeanMethods = false)
class SecurityConfiguration {

  private static final Logger log = LoggerFactory.getLogger(SecurityConfiguration.class);

  /** Spring Boot's own resource-server settings, which Herald refuses rather than ignores. */
  private static final List<String> SPRING_JWT_SETTINGS =
      List.of(
          "spring.security.oauth2.resourceserver.jwt.jwk-set-uri",
          "spring.security.oauth2.resourceserver.jwt.issuer-uri",
          "spring.security.oauth2.resourceserver.jwt.public-key-location");

  /** Tolerance for clocks that differ between the token issuer and this node. */
  static final Duration CLOCK_SKEW = Duration.ofSeconds(30);

  /**
   * How tokens are checked. The engine is told apart the way the engine configurations do (by
   * {@code herald.redis.url}), since development mode needs an explicit flag on the Redis engine.
   */
  @Bean
  AuthMode authMode(AuthProperties auth, Environment environment) {
    boolean redisEngine = StringUtils.hasText(environment.getProperty("herald.redis.url"));
    List<String> springJwtSettings =
        SPRING_JWT_SETTINGS.stream()
            .filter(name -> StringUtils.hasText(environment.getProperty(name)))
            .toList();
    AuthMode mode = AuthMode.resolve(auth, redisEngine, springJwtSettings);
    if (mode.insecure()) {
      log.warn(
          "\n"
              + "************************************************************************\n"
              + "*  HERALD RUNS IN INSECURE DEVELOPMENT MODE                            *\n"
              + "*  Token signatures are NOT verified and clients without a token may   *\n"
              + "*  subscribe and publish anywhere. It listens on loopback only unless  *\n"
              + "*  server.address (SERVER_ADDRESS) is set.                             *\n"
              + "*  Set HERALD_AUTH_HMAC_SECRET or HERALD_AUTH_JWKS_URI for real use.   *\n"
              + "************************************************************************");
    }
    return mode;
  }

  @Bean
  ReactiveJwtDecoder jwtDecoder(AuthProperties auth, AuthMode mode, Clock clock) {
    OAuth2TokenValidator<Jwt> validator = validator(auth, clock);
    NimbusReactiveJwtDecoder decoder;
    switch (mode) {
      case HMAC -> {
        return new Hs256JwtDecoder(hmacKey(auth), validator);
      }
      case JWKS -> {
        var keys = new JwksKeys(WebClient.create(), Objects.requireNonNull(auth.jwksUri()), clock);
        decoder =
            NimbusReactiveJwtDecoder.withJwkSource(keys::keysFor)
                .jwtProcessorCustomizer(
                    processor ->
                        processor.setJWSKeySelector(
                            new JWSVerificationKeySelector<>(
                                Set.of(JWSAlgorithm.RS256, JWSAlgorithm.ES256),
                                new JWKSecurityContextJWKSet())))
                .build();
      }
      default -> {
        return new InsecureJwtDecoder(validator);
      }
    }
    decoder.setJwtValidator(validator);
    return decoder;
  }

  /** The HS256 key: the secret's UTF-8 bytes. */
  static SecretKeySpec hmacKey(AuthProperties auth) {
    return new SecretKeySpec(
        Objects.requireNonNull(auth.hmacSecret()).getBytes(StandardCharsets.UTF_8), "HmacSHA256");
  }

  static OAuth2TokenValidator<Jwt> validator(AuthProperties auth, Clock clock) {
    List<OAuth2TokenValidator<Jwt>> validators = new ArrayList<>();
    JwtTimestampValidator timestamps = new JwtTimestampValidator(CLOCK_SKEW);
    timestamps.setClock(clock);
    validators.add(timestamps);
    validators.add(
        new JwtClaimValidator<String>(JwtClaimNames.SUB, sub -> sub != null && !sub.isBlank()));
    if (auth.requireExp()) {
      validators.add(new JwtClaimValidator<Object>(JwtClaimNames.EXP, Objects::nonNull));
    }
    if (auth.hasIssuer()) {
      validators.add(new JwtIssuerValidator(Objects.requireNonNull(auth.issuer())));
    }
    if (auth.hasAudience()) {
      validators.add(new JwtAudienceValidator(Objects.requireNonNull(auth.audience())));
    }
    validators.add(new ChannelClaimsValidator());
    return new DelegatingOAuth2TokenValidator<>(validators);
  }

  /**
   * No Spring Security observations: with them, every filter of every request, handshakes included,
   * runs inside an observation (contexts, key values, a timer sample), which on a push server is
   * CPU and garbage per connection for no insight. Handshakes are counted by Herald's own metrics.
   * This bean, unlike {@code management.observations.enable.spring.security=false}, also removes
   * the decorator that wraps each filter.
   */
  @Bean
  SecurityObservationSettings securityObservationSettings() {
    return SecurityObservationSettings.noObservations();
  }

  @Bean
  TokenVerifier tokenVerifier(ReactiveJwtDecoder decoder, AuthMode mode) {
    return new JwtTokenVerifier(decoder, !mode.insecure());
  }

  @Bean
  ChannelPermissions channelPermissions(
      ChannelOptionsResolver options, Clock clock, AuthMode mode) {
    return new ChannelPermissions(options, clock, mode.insecure());
  }

  @Bean
  OriginPolicy originPolicy(OriginProperties properties) {
    return new OriginPolicy(properties);
  }

  /** The backend API: API key only, never a JWT. */
  @Bean
  @Order(1)
  SecurityWebFilterChain apiSecurity(
      ServerHttpSecurity http, ApiKeyProperties apiKey, ErrorResponses errors) {
    return stateless(http)
        .securityMatcher(ServerWebExchangeMatchers.pathMatchers("/api/**"))
        .addFilterAt(new ApiKeyFilter(apiKey, errors), SecurityWebFiltersOrder.AUTHENTICATION)
        .build();
  }

  /**
   * Everything else but SSE (and {@code /ws}, served ahead of WebFlux): a token, when present, must
   * be valid (401 otherwise); whether one is required is up to the handler, since anonymous
   * namespaces need none.
   *
   * <p>{@code /sse} verifies its token itself, with the same {@link TokenVerifier}, before the
   * stream starts: a response body lives inside the filter chain that produced it, so every
   * security filter's operators (and the 256-slot buffer of the chain selection) would otherwise
   * stay in memory for the stream's whole life, about 4 KB per idle stream.
   */
  @Bean
  @Order(3)
  SecurityWebFilterChain clientSecurity(
      ServerHttpSecurity http, ReactiveJwtDecoder decoder, ErrorResponses errors) {
    return clientToken(stateless(http), decoder, errors)
        .securityMatcher(
            new NegatedServerWebExchangeMatcher(ServerWebExchangeMatchers.pathMatchers("/sse")))
        // SSE sets its own Cache-Control; the default no-store header would override nothing else.
        .headers(headers -> headers.cache(ServerHttpSecurity.HeaderSpec.CacheSpec::disable))
        .build();
  }

  private static ServerHttpSecurity clientToken(
      ServerHttpSecurity http, ReactiveJwtDecoder decoder, ErrorResponses errors) {
    ServerAuthenticationEntryPoint unauthorized =
        (exchange, e) ->
            errors.write(exchange.getResponse(), ErrorCode.UNAUTHORIZED, "invalid token");
    return http.oauth2ResourceServer(
        resourceServer ->
            resourceServer
                .bearerTokenConverter(new BearerTokenConverter())
                .authenticationEntryPoint(unauthorized)
                .jwt(jwt -> jwt.jwtDecoder(decoder)));
  }

  /**
   * What every chain leaves out. No {@code authorizeExchange}: access is decided by the API key
   * filter, the token filter and the handlers (per channel), so Spring's authorization and
   * exception-translation filters would only permit everything, at a cost on every handshake and,
   * for SSE, in memory for the stream's whole life (the filter chain's operators stay subscribed as
   * long as the response body).
   */
  private static ServerHttpSecurity stateless(ServerHttpSecurity http) {
    return http.csrf(ServerHttpSecurity.CsrfSpec::disable)
        .httpBasic(ServerHttpSecurity.HttpBasicSpec::disable)
        .formLogin(ServerHttpSecurity.FormLoginSpec::disable)
        .logout(ServerHttpSecurity.LogoutSpec::disable)
        .anonymous(ServerHttpSecurity.AnonymousSpec::disable)
        .requestCache(cache -> cache.disable())
        .securityContextRepository(NoOpServerSecurityContextRepository.getInstance());
  }
}
