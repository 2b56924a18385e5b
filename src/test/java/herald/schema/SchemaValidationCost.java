package herald.schema;

import herald.channel.ChannelName;
import herald.config.NamespaceProperties;
import herald.config.PerNamespace;
import herald.protocol.HeraldException;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.Random;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * Not a test: measures what {@link PublicationSchemas#check} costs per publication, for the README
 * ("Backend integration"). Run it after {@code ./mvnw -o -q test-compile}:
 *
 * <pre>
 * ./mvnw -o -q dependency:build-classpath -Dmdep.outputFile=target/cp.txt
 * java -cp target/test-classes:target/classes:$(cat target/cp.txt) herald.schema.SchemaValidationCost
 * </pre>
 *
 * <p>Times each of 100,000 checks of distinct, already-parsed chat messages (the schema in {@code
 * src/test/resources/schemas/chat-message.json}: an object with a text, mentions and a reply
 * reference, about 100 bytes as JSON), then as many that fail at {@code /reply/offset} (the 400's
 * message included), five rounds each, and prints the median, p90 and p99 of each round.
 */
public final class SchemaValidationCost {

  private static final int PAYLOADS = 100_000;
  private static final int ROUNDS = 5;

  private SchemaValidationCost() {}

  public static void main(String[] args) {
    JsonMapper json = JsonMapper.shared();
    NamespaceProperties.Namespace chat =
        new NamespaceProperties.Namespace(
            100,
            Duration.ofMinutes(5),
            null,
            null,
            true,
            false,
            "classpath:schemas/chat-message.json",
            null);
    NamespaceProperties.Namespace plain =
        new NamespaceProperties.Namespace(
            100, Duration.ofMinutes(5), null, null, true, false, null, null);
    PublicationSchemas schemas =
        new PublicationSchemas(
            PerNamespace.build(
                new NamespaceProperties(Map.of("chat", chat), plain),
                new SchemaLoader(json)::load));
    ChannelName channel = ChannelName.of("chat:lobby");
    measure("valid", schemas, channel, payloads(json, false), json);
    measure("invalid", schemas, channel, payloads(json, true), json);
  }

  private static void measure(
      String kind,
      PublicationSchemas schemas,
      ChannelName channel,
      JsonNode[] payloads,
      JsonMapper json) {
    long[] nanos = new long[PAYLOADS];
    for (int round = 0; round < ROUNDS; round++) {
      for (int i = 0; i < PAYLOADS; i++) {
        long start = System.nanoTime();
        try {
          schemas.check(channel, payloads[i]);
        } catch (HeraldException refused) {
          // what an invalid payload costs includes building the 400's message
        }
        nanos[i] = System.nanoTime() - start;
      }
      long[] sorted = nanos.clone();
      Arrays.sort(sorted);
      System.out.printf(
          "%s round %d: %d checks, median %.2f us, p90 %.2f us, p99 %.2f us, payload ~%d bytes%n",
          kind,
          round + 1,
          PAYLOADS,
          sorted[PAYLOADS / 2] / 1000.0,
          sorted[PAYLOADS * 9 / 10] / 1000.0,
          sorted[PAYLOADS * 99 / 100] / 1000.0,
          json.writeValueAsBytes(payloads[0]).length);
    }
  }

  /** Distinct chat messages; {@code invalid} ones carry a reply offset of 0 (the minimum is 1). */
  private static JsonNode[] payloads(JsonMapper json, boolean invalid) {
    Random random = new Random(14);
    JsonNode[] payloads = new JsonNode[PAYLOADS];
    for (int i = 0; i < PAYLOADS; i++) {
      ObjectNode message = json.createObjectNode();
      message.put("text", "message number " + i + " about item " + random.nextInt(1000));
      message.putArray("mentions").add("user" + random.nextInt(100)).add("user" + i % 7);
      message.putObject("reply").put("offset", invalid ? 0 : 1 + random.nextInt(10_000));
      payloads[i] = message;
    }
    return payloads;
  }
}
