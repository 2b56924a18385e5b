package herald.security;

/**
 * The authentication settings do not let the node start securely. Its message names the settings;
 * {@link #action()} says what to set.
 */
public final class AuthConfigurationException extends IllegalStateException {

  private final String description;
  private final String action;

  AuthConfigurationException(String description, String action) {
    super(description + ". " + action);
    this.description = description;
    this.action = action;
  }

  /** What is wrong, naming the settings. */
  public String description() {
    return description;
  }

  /** What to set instead. */
  public String action() {
    return action;
  }
}
