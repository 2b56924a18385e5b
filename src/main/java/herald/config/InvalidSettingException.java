package herald.config;

/**
 * A setting whose value Herald cannot use, found after binding (a Redis URL that does not parse,
 * for example). Start-up stops, and {@link SettingsFailureAnalyzer} turns it into one paragraph
 * naming the setting and its environment variable. The message never repeats the value, which may
 * hold a password.
 */
public final class InvalidSettingException extends IllegalArgumentException {

  private final String setting;
  private final String problem;
  private final String action;

  /**
   * @param setting the property, such as {@code herald.redis.url}
   * @param problem what is wrong, as the rest of a sentence starting with the setting's name
   * @param action what to do instead
   */
  public InvalidSettingException(String setting, String problem, String action) {
    super(setting + " " + problem + "; " + action);
    this.setting = setting;
    this.problem = problem;
    this.action = action;
  }

  public String setting() {
    return setting;
  }

  public String problem() {
    return problem;
  }

  public String action() {
    return action;
  }
}
