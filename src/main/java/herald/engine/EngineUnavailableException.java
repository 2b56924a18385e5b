package herald.engine;

import herald.protocol.ErrorCode;
import herald.protocol.HeraldException;

/** The engine cannot serve the request now (Redis down, circuit open); clients get 503. */
public final class EngineUnavailableException extends HeraldException {

  public EngineUnavailableException(String message) {
    super(ErrorCode.ENGINE_UNAVAILABLE, message);
  }
}
