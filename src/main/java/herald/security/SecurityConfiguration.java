package herald.security;

import herald.channel.ChannelOptionsResolver;
import herald.protocol.ErrorCode;
import herald.web.ErrorResponses;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import javax.crypto.spec.SecretKeySpec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.annotation.Order;
import org.springframework.security.config.observation.SecurityObservationSettings;
import org.springframework.security.config.web.server.SecurityWebFiltersOrder;
import org.springframework.security.config.web.server.ServerHttpSecurity;
import org.springframework.security.oauth2.core.DelegatingOAuth2TokenValidator;
import org.springframework.security.oauth2.core.OAuth2TokenValidator;
import org.springframework.security.oauth2.jose.jws.MacAlgorithm;
import org.springframework.security.oauth2.jose.jws.SignatureAlgorithm;
import org.springframework.security.oauth2.jwt.Jwt;
import org.springframework.security.oauth2.jwt.JwtClaimNames;
import org.springframework.security.oauth2.jwt.JwtClaimValidator;
import org.springframework.security.oauth2.jwt.JwtTimestampValidator;
import org.springframework.security.oauth2.jwt.NimbusReactiveJwtDecoder;
import org.springframework.security.oauth2.jwt.ReactiveJwtDecoder;
import org.springframework.security.web.server.SecurityWebFilterChain;
import org.springframework.security.web.server.ServerAuthenticationEntryPoint;
import org.springframework.security.web.server.context.NoOpServerSecurityContextRepository;
import org.springframework.security.web.server.util.matcher.NegatedServerWebExchangeMatcher;
import org.springframework.security.web.server.util.matcher.ServerWebExchangeMatchers;

/**
 * Wires authentication: JWTs through Spring Security's reactive resource server for clients, the
 * API key for backends, and the Origin check for WebSocket handshakes.
 */
@Configuration(proxyBeanMethods = false)
class SecurityConfiguration {

  private static final Logger log = LoggerFactory.getLogger(SecurityConfiguration.class);

  @Bean
  ReactiveJwtDecoder jwtDecoder(AuthProperties auth) {
    OAuth2TokenValidator<Jwt> validator = validator(auth);
    if (auth.hasHmacSecret()) {
      var key =
          new SecretKeySpec(
              Objects.requireNonNull(auth.hmacSecret()).getBytes(StandardCharsets.UTF_8),
              "HmacSHA256");
      NimbusReactiveJwtDecoder decoder =
          NimbusReactiveJwtDecoder.withSecretKey(key).macAlgorithm(MacAlgorithm.HS256).build();
      decoder.setJwtValidator(validator);
      return decoder;
    }
    if (auth.hasJwksUri()) {
      NimbusReactiveJwtDecoder decoder =
          NimbusReactiveJwtDecoder.withJwkSetUri(Objects.requireNonNull(auth.jwksUri()).toString())
              .jwsAlgorithms(
                  algorithms -> {
                    algorithms.add(SignatureAlgorithm.RS256);
                    algorithms.add(SignatureAlgorithm.ES256);
                  })
              .build();
      decoder.setJwtValidator(validator);
      return decoder;
    }
    log.warn(
        "\n"
            + "************************************************************************\n"
            + "*  HERALD RUNS IN INSECURE DEVELOPMENT MODE                            *\n"
            + "*  No herald.auth.hmac-secret (HERALD_AUTH_HMAC_SECRET) and no         *\n"
            + "*  herald.auth.jwks-uri is set: token signatures are NOT verified and  *\n"
            + "*  clients without a token may subscribe and publish anywhere.         *\n"
            + "*  Never run it like this in production.                               *\n"
            + "************************************************************************");
    return new InsecureJwtDecoder(validator);
  }

  private static OAuth2TokenValidator<Jwt> validator(AuthProperties auth) {
    List<OAuth2TokenValidator<Jwt>> validators = new ArrayList<>();
    validators.add(new JwtTimestampValidator(Duration.ZERO));
    validators.add(
        new JwtClaimValidator<String>(JwtClaimNames.SUB, sub -> sub != null && !sub.isBlank()));
    if (auth.requireExp()) {
      validators.add(new JwtClaimValidator<Object>(JwtClaimNames.EXP, Objects::nonNull));
    }
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
  TokenVerifier tokenVerifier(ReactiveJwtDecoder decoder, AuthProperties auth) {
    return new JwtTokenVerifier(decoder, auth.secure());
  }

  @Bean
  ChannelPermissions channelPermissions(
      ChannelOptionsResolver options, Clock clock, AuthProperties auth) {
    return new ChannelPermissions(options, clock, !auth.secure());
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
   * WebSocket handshakes: the Origin check (403), then the token as for every client. No security
   * response headers: they mean nothing on a 101 upgrade, and writing them was a tenth of the
   * allocations of a handshake.
   */
  @Bean
  @Order(2)
  SecurityWebFilterChain webSocketSecurity(
      ServerHttpSecurity http,
      ReactiveJwtDecoder decoder,
      OriginPolicy originPolicy,
      ErrorResponses errors) {
    return clientToken(stateless(http), decoder, errors)
        .securityMatcher(ServerWebExchangeMatchers.pathMatchers("/ws"))
        .addFilterBefore(
            new OriginFilter(originPolicy, errors), SecurityWebFiltersOrder.AUTHENTICATION)
        .headers(ServerHttpSecurity.HeaderSpec::disable)
        .build();
  }

  /**
   * Everything else but SSE: a token, when present, must be valid (401 otherwise); whether one is
   * required is up to the handler, since anonymous namespaces and the WebSocket {@code connect}
   * frame need none.
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
