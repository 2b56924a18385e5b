package herald.schema;

import herald.config.NamespaceProperties;
import herald.config.PerNamespace;
import java.util.stream.Stream;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import tools.jackson.databind.json.JsonMapper;

/** Compiles the namespaces' publication schemas at start-up. */
@Configuration(proxyBeanMethods = false)
class SchemaConfiguration {

  @Bean
  PublicationSchemas publicationSchemas(NamespaceProperties namespaces, JsonMapper json) {
    boolean anySchema =
        Stream.concat(
                namespaces.namespaces().values().stream(), Stream.of(namespaces.channelDefaults()))
            .anyMatch(namespace -> namespace.schema() != null);
    if (!anySchema) {
      // Nothing to compile: the validator (and its meta-schemas) is not even loaded.
      return PublicationSchemas.none();
    }
    SchemaLoader loader = new SchemaLoader(json);
    return new PublicationSchemas(PerNamespace.build(namespaces, loader::load));
  }
}
