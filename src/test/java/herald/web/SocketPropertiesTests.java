package herald.web;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import herald.HeraldApplication;
import org.junit.jupiter.api.Test;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.builder.SpringApplicationBuilder;

/** {@code herald.event-loops}: a count, or 0 for one loop per processor (README, Operations). */
class SocketPropertiesTests {

  @Test
  void zeroMeansOneLoopPerProcessor() {
    assertThat(new SocketProperties(true, 0).eventLoopCount())
        .isEqualTo(Runtime.getRuntime().availableProcessors());
    assertThat(new SocketProperties(true, 3).eventLoopCount()).isEqualTo(3);
  }

  @Test
  void aNegativeCountStopsStartUpNamingTheSetting() {
    assertThatThrownBy(
            () ->
                new SpringApplicationBuilder(HeraldApplication.class)
                    .web(WebApplicationType.REACTIVE)
                    .run(
                        "--server.port=0",
                        "--herald.auth.insecure-when-unconfigured=true",
                        "--herald.event-loops=-1"))
        .hasStackTraceContaining("herald.event-loops");
  }
}
