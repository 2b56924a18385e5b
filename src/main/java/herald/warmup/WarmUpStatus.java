package herald.warmup;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Where the warm-up stands, as readiness reports it.
 *
 * @param over whether readiness no longer waits for it (done, skipped or ended early)
 * @param details what {@code /actuator/health/readiness} shows under {@code warmUp}
 */
record WarmUpStatus(boolean over, Map<String, Object> details) {

  static final WarmUpStatus WAITING = new WarmUpStatus(false, Map.of("state", "waiting"));
  static final WarmUpStatus RUNNING = new WarmUpStatus(false, Map.of("state", "running"));

  static WarmUpStatus done(Map<String, Object> figures) {
    return new WarmUpStatus(true, with("done", figures));
  }

  static WarmUpStatus skipped(String reason) {
    return new WarmUpStatus(true, Map.of("state", "skipped", "reason", reason));
  }

  static WarmUpStatus failed(String reason) {
    return new WarmUpStatus(true, Map.of("state", "ended early", "reason", reason));
  }

  private static Map<String, Object> with(String state, Map<String, Object> figures) {
    Map<String, Object> details = new LinkedHashMap<>();
    details.put("state", state);
    details.putAll(figures);
    return Collections.unmodifiableMap(details);
  }
}
