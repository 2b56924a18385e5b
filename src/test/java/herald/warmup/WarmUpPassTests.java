package herald.warmup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;

import org.junit.jupiter.api.Test;

class WarmUpPassTests {

  @Test
  void admitsItsOwnValueOnlyAndNothingOnceClosed() {
    WarmUpPass pass = new WarmUpPass();
    String value = pass.value();

    assertThat(pass.admits(value)).isTrue();
    assertThat(pass.admits(value + "x")).isFalse();
    assertThat(pass.admits(value.substring(1))).isFalse();
    assertThat(pass.admits("")).isFalse();
    assertThat(pass.admits(null)).isFalse();
    assertThat(new WarmUpPass().admits(value)).as("another node's pass").isFalse();

    pass.close();
    assertThat(pass.admits(value)).isFalse();
    assertThatIllegalStateException().isThrownBy(pass::value);
  }

  @Test
  void aPassForNoWarmUpAdmitsNothing() {
    WarmUpPass none = WarmUpPass.none();
    assertThat(none.admits(null)).isFalse();
    assertThat(none.admits("")).isFalse();
  }

  @Test
  void eachPassIsRandom() {
    assertThat(new WarmUpPass().value())
        .hasSizeGreaterThanOrEqualTo(43)
        .isNotEqualTo(new WarmUpPass().value());
  }
}
