package herald.security;

import java.security.Principal;
import org.springframework.security.oauth2.server.resource.authentication.JwtAuthenticationToken;

/**
 * A principal that holds only what Herald reads from its token: what a WebSocket session keeps of
 * its handshake in place of Spring Security's authentication, whose JWT (the token's text, its
 * header and claim maps) would otherwise stay in memory for the connection's whole life.
 */
public record CredentialsPrincipal(Credentials credentials) implements Principal {

  /**
   * {@code principal} reduced to its credentials when Spring Security authenticated it from a JWT;
   * any other principal as it is.
   */
  public static Principal compact(Principal principal) {
    return principal instanceof JwtAuthenticationToken
        ? new CredentialsPrincipal(JwtCredentials.from(principal))
        : principal;
  }

  @Override
  public String getName() {
    return credentials.user();
  }
}
