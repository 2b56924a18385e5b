package herald.schema;

import herald.config.NamespaceProperties;
import herald.config.PerNamespace;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import tools.jackson.databind.json.JsonMapper;

/** Compiles the namespaces' publication schemas at start-up. */
@Configuration(proxyBeanMethods = false)
class SchemaConfiguration {

  @Bean
  PublicationSchemas publicationSchemas(NamespaceProperties namespaces, JsonMapper json) {
    SchemaLoader loader = new SchemaLoader(json);
    return new PublicationSchemas(PerNamespace.build(namespaces, loader::load));
  }
}
