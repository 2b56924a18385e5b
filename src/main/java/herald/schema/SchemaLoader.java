package herald.schema;

import com.networknt.schema.Error;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import herald.config.InvalidSettingException;
import herald.config.NamespaceProperties;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.core.io.DefaultResourceLoader;
import org.springframework.core.io.FileSystemResource;
import org.springframework.core.io.Resource;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Reads and compiles the schema a namespace names, at start-up. Anything wrong (unreadable, not
 * JSON, not a valid draft 2020-12 schema, a {@code $ref} that does not resolve) stops start-up with
 * {@link InvalidSettingException} naming the setting: a typo must not silently let every
 * publication through.
 *
 * <p>Schemas are read from the file system or the class path only; {@code $ref}s to http(s) URLs
 * are not fetched (the validator's default), so start-up never depends on the network.
 */
final class SchemaLoader {

  private static final Logger log = LoggerFactory.getLogger(SchemaLoader.class);

  private static final String DRAFT_2020_12 = "https://json-schema.org/draft/2020-12/schema";
  private static final String CLASSPATH = "classpath:";

  private final SchemaRegistry registry =
      SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12);
  private final Schema metaSchema = registry.getSchema(SchemaLocation.of(DRAFT_2020_12));
  private final DefaultResourceLoader resources = new DefaultResourceLoader();
  private final JsonMapper json;

  SchemaLoader(JsonMapper json) {
    this.json = json;
    loadMessages();
  }

  /**
   * Loads the validator's error message bundle now: it is read from its jar the first time an error
   * message is built, which would otherwise be file I/O on the event loop, at the first publication
   * that does not match.
   */
  private void loadMessages() {
    for (Error error : metaSchema.validate(json.readTree("{\"type\":12}"))) {
      error.getMessage();
    }
  }

  /**
   * The compiled schema {@code namespace} names, or {@code null} when it names none.
   *
   * @param prefix the namespace's settings, such as {@code herald.namespaces.chat}
   */
  @Nullable Schema load(String prefix, NamespaceProperties.Namespace namespace) {
    String location = namespace.schema();
    if (location == null || location.isBlank()) {
      return null;
    }
    String setting = prefix + ".schema";
    Resource resource = resource(location.strip());
    JsonNode document = read(setting, resource);
    checkDialect(setting, document);
    List<Error> problems = metaSchema.validate(document);
    if (!problems.isEmpty()) {
      Error first = problems.get(0);
      throw new InvalidSettingException(
          setting,
          "names a document that is not a valid JSON Schema (draft 2020-12): at \""
              + first.getInstanceLocation()
              + "\": "
              + first.getMessage(),
          "fix the schema in " + resource.getDescription());
    }
    Schema schema = compile(setting, resource, document);
    log.info("schema setting={} location={} compiled", setting, resource.getDescription());
    return schema;
  }

  private Resource resource(String location) {
    if (location.startsWith(CLASSPATH) || location.startsWith("file:")) {
      return resources.getResource(location);
    }
    return new FileSystemResource(location);
  }

  private JsonNode read(String setting, Resource resource) {
    try (InputStream in = resource.getInputStream()) {
      return json.readTree(in);
    } catch (IOException e) {
      throw new InvalidSettingException(
          setting,
          "names " + resource.getDescription() + ", which cannot be read",
          "give a readable file path or a classpath: location of a JSON Schema");
    } catch (JacksonException e) {
      throw new InvalidSettingException(
          setting,
          "names " + resource.getDescription() + ", which is not JSON",
          "give the location of a JSON Schema (draft 2020-12) written as JSON");
    }
  }

  private static void checkDialect(String setting, JsonNode document) {
    JsonNode dialect = document.get("$schema");
    if (dialect != null
        && !(dialect.isString() && dialect.asString().replaceAll("#$", "").equals(DRAFT_2020_12))) {
      throw new InvalidSettingException(
          setting,
          "names a schema of another draft ($schema is not " + DRAFT_2020_12 + ")",
          "write the schema in draft 2020-12, or leave out $schema");
    }
  }

  private Schema compile(String setting, Resource resource, JsonNode document) {
    try {
      Schema schema = registry.getSchema(SchemaLocation.of(uri(resource)), document);
      // Resolves every $ref now, so one that cannot be resolved fails start-up, not a publish.
      schema.initializeValidators();
      return schema;
    } catch (RuntimeException e) {
      throw new InvalidSettingException(
          setting,
          "names a schema that cannot be compiled (" + deepestMessage(e) + ")",
          "fix the schema in "
              + resource.getDescription()
              + "; a $ref is read from a file or the class path, never fetched over the network");
    }
  }

  private static String deepestMessage(Throwable error) {
    Throwable deepest = error;
    while (deepest.getCause() != null && deepest.getCause() != deepest) {
      deepest = deepest.getCause();
    }
    String message = deepest.getMessage();
    return message == null ? deepest.getClass().getSimpleName() : message;
  }

  private static String uri(Resource resource) {
    try {
      return resource.getURI().toString();
    } catch (IOException e) {
      return "urn:herald:schema";
    }
  }
}
