package herald.security;

import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

/** Prints an {@link AuthConfigurationException} as Spring Boot's start-up failure report. */
final class AuthConfigurationFailureAnalyzer
    extends AbstractFailureAnalyzer<AuthConfigurationException> {

  @Override
  protected FailureAnalysis analyze(Throwable rootFailure, AuthConfigurationException cause) {
    return new FailureAnalysis(cause.description() + ".", cause.action(), cause);
  }
}
