package herald.schema;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import herald.channel.ChannelName;
import herald.config.InvalidSettingException;
import herald.config.NamespaceProperties;
import herald.config.PerNamespace;
import herald.protocol.ErrorCode;
import herald.protocol.HeraldException;
import java.time.Duration;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** Schemas compiled from settings, and what a publication that does not match is told. */
class PublicationSchemasTests {

  private final JsonMapper json = JsonMapper.shared();

  @Test
  void dataThatMatchesPassesAndOtherNamespacesAreNotChecked() {
    PublicationSchemas schemas = schemas("classpath:schemas/chat-message.json");

    assertThatCode(() -> schemas.check(channel("chat:1"), tree("{\"text\":\"hi\"}")))
        .doesNotThrowAnyException();
    assertThatCode(() -> schemas.check(channel("news:1"), tree("42"))).doesNotThrowAnyException();
    assertThatCode(() -> schemas.check(channel("plain"), tree("42"))).doesNotThrowAnyException();
  }

  @Test
  void dataThatDoesNotMatchIsABadRequestNamingTheFailingLocation() {
    PublicationSchemas schemas = schemas("classpath:schemas/chat-message.json");

    assertThatThrownBy(
            () ->
                schemas.check(
                    channel("chat:1"), tree("{\"text\":\"hi\",\"reply\":{\"offset\":0}}")))
        .isInstanceOfSatisfying(
            HeraldException.class,
            error -> {
              assertThat(error.code()).isEqualTo(ErrorCode.BAD_REQUEST);
              assertThat(error.getMessage())
                  .startsWith("data does not match the channel's schema at \"/reply/offset\": ");
            });
    assertThatThrownBy(() -> schemas.check(channel("chat:1"), tree("{\"text\":7}")))
        .hasMessageContaining("at \"/text\"");
    assertThatThrownBy(() -> schemas.check(channel("chat:1"), tree("[]")))
        .hasMessageContaining("at \"\"");
  }

  @Test
  void aFilePathIsReadAsWellAsAClasspathLocation() throws Exception {
    String path =
        new org.springframework.core.io.ClassPathResource("schemas/chat-message.json")
            .getFile()
            .getAbsolutePath();
    PublicationSchemas schemas = schemas(path);

    assertThatThrownBy(() -> schemas.check(channel("chat:1"), tree("{}")))
        .hasMessageContaining("required");
  }

  @Test
  void aSchemaThatCannotBeUsedStopsStartUpNamingTheSetting() {
    assertRefused("classpath:schemas/missing.json", "which cannot be read");
    assertRefused("/nonexistent/dir/schema.json", "which cannot be read");
    assertRefused("classpath:schemas/not-json.json", "which is not JSON");
    assertRefused("classpath:schemas/not-a-schema.json", "not a valid JSON Schema (draft 2020-12)");
    assertRefused("classpath:schemas/remote-ref.json", "cannot be compiled");
  }

  private void assertRefused(String location, String problem) {
    assertThatThrownBy(() -> schemas(location))
        .isInstanceOfSatisfying(
            InvalidSettingException.class,
            error -> {
              assertThat(error.setting()).isEqualTo("herald.namespaces.chat.schema");
              assertThat(error.problem()).contains(problem);
            });
  }

  private PublicationSchemas schemas(String location) {
    NamespaceProperties properties =
        new NamespaceProperties(
            Map.of("chat", namespace(location), "news", namespace(null)), namespace(null));
    return new PublicationSchemas(PerNamespace.build(properties, new SchemaLoader(json)::load));
  }

  private static NamespaceProperties.Namespace namespace(@Nullable String schema) {
    return new NamespaceProperties.Namespace(
        100, Duration.ofMinutes(5), null, null, true, false, schema, null);
  }

  private JsonNode tree(String text) {
    return json.readTree(text);
  }

  private static ChannelName channel(String name) {
    return ChannelName.of(name);
  }
}
