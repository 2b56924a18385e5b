package herald;

import static com.tngtech.archunit.base.DescribedPredicate.not;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAPackage;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;
import herald.channel.LeakyChannelValue;
import org.junit.jupiter.api.Test;

/**
 * The package rules (README "Layout": packages by feature, dependencies pointing inward), checked
 * on every build.
 */
@AnalyzeClasses(packages = "herald", importOptions = ImportOption.DoNotIncludeTests.class)
class ArchitectureTests {

  @ArchTest
  static final ArchRule noCyclesBetweenFeatures =
      slices()
          .matching("herald.(*)..")
          .should()
          .beFreeOfCycles()
          .because("features depend inward, so each can be read and changed on its own");

  @ArchTest
  static final ArchRule onlyTheEngineKnowsItsImplementations =
      noClasses()
          .that()
          .resideOutsideOfPackages("herald.engine..")
          .should()
          .dependOnClassesThat()
          .resideInAnyPackage("herald.engine.memory..", "herald.engine.redis..")
          .because("no transport may know which engine runs");

  @ArchTest
  static final ArchRule transportsAndApiAreIndependent =
      noClasses()
          .that()
          .resideInAPackage("herald.transport..")
          .should()
          .dependOnClassesThat()
          .resideInAPackage("herald.api..")
          .because("the backend API and client transports meet only in the registry and engine");

  @ArchTest
  static final ArchRule apiDoesNotUseTransports =
      noClasses()
          .that()
          .resideInAPackage("herald.api..")
          .should()
          .dependOnClassesThat()
          .resideInAPackage("herald.transport..")
          .because("the backend API and client transports meet only in the registry and engine");

  @ArchTest
  static final ArchRule valuesDependOnNothingOfOurs =
      noClasses()
          .that()
          .resideInAPackage("herald.channel..")
          .should()
          .dependOnClassesThat(
              resideInAPackage("herald..").and(not(resideInAPackage("herald.channel.."))))
          .because("channel values are the vocabulary every other part speaks in");

  @Test
  void valuesRuleCatchesADependencyOnAnyOfOurOtherPackages() {
    JavaClasses leaky = new ClassFileImporter().importClasses(LeakyChannelValue.class);
    assertThatThrownBy(() -> valuesDependOnNothingOfOurs.check(leaky))
        .isInstanceOf(AssertionError.class)
        .hasMessageContaining("herald.config.LimitProperties");
  }

  @ArchTest
  static final ArchRule noBlockingCalls =
      noClasses()
          .should()
          .callMethod(reactor.core.publisher.Mono.class, "block")
          .orShould()
          .callMethodWhere(
              com.tngtech.archunit.core.domain.JavaCall.Predicates.target(
                  com.tngtech.archunit.core.domain.properties.HasName.Predicates.nameStartingWith(
                      "block")))
          .orShould()
          .callMethod(Thread.class, "sleep", long.class)
          .because("handlers run on the Netty event loop, which must never block");

  @ArchTest
  static final ArchRule noSystemOut =
      noClasses()
          .should()
          .accessField(System.class, "out")
          .orShould()
          .accessField(System.class, "err")
          .because("logs go through SLF4J");

  @ArchTest
  static final ArchRule mainCodeStaysOnJackson3 =
      noClasses()
          .should()
          .dependOnClassesThat()
          .resideInAPackage("com.fasterxml.jackson.databind..")
          .because("Herald uses Jackson 3 (tools.jackson); Jackson 2 is only there for libraries");
}
