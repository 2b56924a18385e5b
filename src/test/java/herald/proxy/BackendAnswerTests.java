package herald.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import herald.protocol.ErrorCode;
import herald.protocol.HeraldException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import tools.jackson.databind.json.JsonMapper;

/** A backend's answer is checked for shape before anything uses it. */
class BackendAnswerTests {

  private final JsonMapper json = JsonMapper.shared();

  @Test
  void aResultIsTheAnswersResultObject() {
    BackendAnswer answer = read("{\"result\":{\"data\":{\"text\":\"hi\"}}}");

    assertThat(answer.result().path("data").path("text").asString()).isEqualTo("hi");
    assertThat(read("{\"result\":{}}").result().isEmpty()).isTrue();
  }

  @Test
  void anErrorIsPassedOnWithTheBackendsCodeAndMessage() {
    BackendAnswer answer =
        read("{\"error\":{\"code\":422,\"message\":\"amount must be positive\"}}");

    assertThatThrownBy(answer::result)
        .isInstanceOfSatisfying(
            HeraldException.class,
            error -> {
              assertThat(error.status()).isEqualTo(422);
              assertThat(error.getMessage()).isEqualTo("amount must be positive");
            });
  }

  @Test
  void aLongErrorMessageIsCut() {
    String message = "x".repeat(2000);
    BackendAnswer answer = read("{\"error\":{\"code\":400,\"message\":\"" + message + "\"}}");

    assertThatThrownBy(answer::result)
        .hasMessage("x".repeat(BackendAnswer.MAX_ERROR_MESSAGE) + "...");
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "42",
        "[]",
        "{}",
        "{\"result\":{},\"error\":{\"code\":400,\"message\":\"both\"}}",
        "{\"result\":42}",
        "{\"result\":null}",
        "{\"error\":\"no\"}",
        "{\"error\":{\"code\":200,\"message\":\"not an error code\"}}",
        "{\"error\":{\"code\":600,\"message\":\"out of range\"}}",
        "{\"error\":{\"code\":4.5,\"message\":\"not whole\"}}",
        "{\"error\":{\"code\":\"403\",\"message\":\"a string\"}}",
        "{\"error\":{\"code\":403}}",
        "{\"error\":{\"code\":403,\"message\":7}}"
      })
  void anythingElseIsAMalformedAnswer(String text) {
    assertThatThrownBy(() -> read(text))
        .isInstanceOfSatisfying(
            HeraldException.class,
            error -> {
              assertThat(error.code()).isEqualTo(ErrorCode.BAD_GATEWAY);
              assertThat(error.status()).isEqualTo(502);
              assertThat(error.getMessage()).startsWith("backend answer is malformed: ");
            });
  }

  private BackendAnswer read(String text) {
    return BackendAnswer.read(json.readTree(text));
  }
}
