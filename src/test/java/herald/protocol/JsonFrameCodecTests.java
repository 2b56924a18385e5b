package herald.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import herald.channel.ChannelName;
import herald.channel.ClientInfo;
import herald.channel.Publication;
import herald.channel.StreamPosition;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.NullNode;
import tools.jackson.databind.node.ObjectNode;

/** Golden tests: the exact frames of README "The protocol", both ways. */
class JsonFrameCodecTests {

  private final JsonFrameCodec codec = new JsonFrameCodec();
  private final JsonMapper json = JsonMapper.builder().build();

  private Command decode(String frame) {
    return codec.decode(frame.getBytes(StandardCharsets.UTF_8));
  }

  private String encode(ServerFrame frame) {
    return new String(codec.encode(frame), StandardCharsets.UTF_8);
  }

  private static Publication publication(String from) {
    return new Publication(
        ChannelName.of("document:42"),
        17,
        "k3J9",
        JsonMapper.builder().build().readTree("{\"text\":\"hi\"}"),
        1764000000123L,
        from);
  }

  @Test
  void decodesEverySpecRequest() {
    assertThat(decode("{\"id\":1,\"op\":\"connect\",\"token\":\"t\"}"))
        .isEqualTo(new Command.Connect(1, "t"));
    assertThat(
            decode(
                "{\"id\":2,\"op\":\"subscribe\",\"channel\":\"c\",\"since\":{\"offset\":17,\"epoch\":\"k3J9\"}}"))
        .isEqualTo(new Command.Subscribe(2, ChannelName.of("c"), new StreamPosition(17, "k3J9")));
    assertThat(decode("{\"id\":3,\"op\":\"unsubscribe\",\"channel\":\"c\"}"))
        .isEqualTo(new Command.Unsubscribe(3, ChannelName.of("c")));
    assertThat(decode("{\"id\":4,\"op\":\"publish\",\"channel\":\"c\",\"data\":{\"a\":[1,2]}}"))
        .isEqualTo(new Command.Publish(4, ChannelName.of("c"), json.readTree("{\"a\":[1,2]}")));
    assertThat(decode("{\"id\":5,\"op\":\"history\",\"channel\":\"c\",\"limit\":10}"))
        .isEqualTo(new Command.History(5, ChannelName.of("c"), null, 10));
    assertThat(decode("{\"id\":6,\"op\":\"presence\",\"channel\":\"c\"}"))
        .isEqualTo(new Command.Presence(6, ChannelName.of("c"), null, null));
    assertThat(
            decode("{\"id\":8,\"op\":\"presence\",\"channel\":\"c\",\"cursor\":\"k\",\"limit\":2}"))
        .isEqualTo(new Command.Presence(8, ChannelName.of("c"), "k", 2));
    assertThat(decode("{\"id\":7,\"op\":\"refresh\",\"token\":\"t2\"}"))
        .isEqualTo(new Command.Refresh(7, "t2"));
    assertThat(decode("{\"id\":8,\"op\":\"ping\"}")).isEqualTo(new Command.Ping(8));
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "not json",
        "[1,2]",
        "{\"op\":\"ping\"}",
        "{\"id\":\"1\",\"op\":\"ping\"}",
        "{\"id\":-1,\"op\":\"ping\"}",
        "{\"id\":1}",
        "{\"id\":1,\"op\":\"fly\"}",
        "{\"id\":1,\"op\":\"ping\",\"extra\":true}",
        "{\"id\":1,\"op\":\"subscribe\"}",
        "{\"id\":1,\"op\":\"subscribe\",\"channel\":42}",
        "{\"id\":1,\"op\":\"subscribe\",\"channel\":\"bad name\"}",
        "{\"id\":1,\"op\":\"subscribe\",\"channel\":\"c\",\"since\":{\"offset\":\"x\",\"epoch\":\"e\"}}",
        "{\"id\":1,\"op\":\"publish\",\"channel\":\"c\"}",
        "{\"id\":1,\"op\":\"history\",\"channel\":\"c\",\"limit\":-5}",
        ""
      })
  void malformedFramesDecodeToBadRequests(String frame) {
    Command command = decode(frame);
    assertThat(command).isInstanceOf(Command.Invalid.class);
    assertThat(((Command.Invalid) command).code()).isEqualTo(ErrorCode.BAD_REQUEST);
  }

  @Test
  void errorsKeepTheIdWhenItCouldBeRead() {
    assertThat(decode("{\"id\":9,\"op\":\"fly\"}").id()).isEqualTo(9);
    assertThat(decode("not json").id()).isZero();
  }

  @Test
  void deepNestingIsRefusedBeforeItIsBuilt() {
    String deep = "[".repeat(10_000) + "]".repeat(10_000);
    String frame = "{\"id\":1,\"op\":\"publish\",\"channel\":\"c\",\"data\":" + deep + "}";
    assertThat(decode(frame)).isInstanceOf(Command.Invalid.class);
  }

  @Test
  void rpcDecodesWithOptionalDataAndEncodesTheBackendsResultAndCodes() {
    assertThat(decode("{\"id\":9,\"op\":\"rpc\",\"method\":\"sum\",\"data\":[1,2]}"))
        .isEqualTo(new Command.Rpc(9, "sum", json.readTree("[1,2]")));
    assertThat(decode("{\"id\":9,\"op\":\"rpc\",\"method\":\"now\"}"))
        .isEqualTo(new Command.Rpc(9, "now", NullNode.getInstance()));
    for (String bad :
        List.of(
            "{\"id\":9,\"op\":\"rpc\"}",
            "{\"id\":9,\"op\":\"rpc\",\"method\":\"\"}",
            "{\"id\":9,\"op\":\"rpc\",\"method\":\"" + "m".repeat(256) + "\"}",
            "{\"id\":9,\"op\":\"rpc\",\"method\":7}",
            "{\"id\":9,\"op\":\"rpc\",\"method\":\"m\",\"channel\":\"c\"}")) {
      assertThat(decode(bad)).as(bad).isInstanceOf(Command.Invalid.class);
    }
    assertThat(encode(Reply.ok(9, new Reply.RpcResult((ObjectNode) json.readTree("{\"sum\":3}")))))
        .isEqualTo("{\"id\":9,\"result\":{\"sum\":3}}");
    assertThat(encode(Reply.error(9, HeraldException.fromBackend(422, "no"))))
        .isEqualTo("{\"id\":9,\"error\":{\"code\":422,\"message\":\"no\"}}");
  }

  @Test
  void encodesRepliesAsTheSpecShowsThem() {
    assertThat(encode(Reply.ok(1, new Reply.Connected("c1", "n1", null))))
        .isEqualTo("{\"id\":1,\"result\":{\"client\":\"c1\",\"node\":\"n1\",\"ttl\":null}}");
    assertThat(encode(Reply.ok(2, new Reply.Subscribed("k3J9", 17, true))))
        .isEqualTo("{\"id\":2,\"result\":{\"epoch\":\"k3J9\",\"offset\":17,\"recovered\":true}}");
    assertThat(encode(Reply.ok(3, new Reply.Published(18))))
        .isEqualTo("{\"id\":3,\"result\":{\"offset\":18}}");
    assertThat(encode(Reply.ok(4, new Reply.Empty()))).isEqualTo("{\"id\":4,\"result\":{}}");
    assertThat(
            encode(
                Reply.ok(
                    5,
                    new Reply.PresenceResult(List.of(new ClientInfo("alice", "c1", "n1")), null))))
        .isEqualTo(
            "{\"id\":5,\"result\":{\"clients\":[{\"user\":\"alice\",\"client\":\"c1\",\"node\":\"n1\"}]}}");
    assertThat(encode(Reply.ok(5, new Reply.PresenceResult(List.of(), "c1"))))
        .as("a page with more after it names the cursor")
        .isEqualTo("{\"id\":5,\"result\":{\"clients\":[],\"cursor\":\"c1\"}}");
    assertThat(encode(Reply.error(6, ErrorCode.FORBIDDEN, "no")))
        .isEqualTo("{\"id\":6,\"error\":{\"code\":403,\"message\":\"no\"}}");
  }

  @Test
  void encodesPushesAsTheSpecShowsThem() {
    assertThat(encode(new Push.Message(publication("alice"))))
        .isEqualTo(
            "{\"type\":\"message\",\"channel\":\"document:42\",\"offset\":17,\"epoch\":\"k3J9\","
                + "\"data\":{\"text\":\"hi\"},\"ts\":1764000000123,\"from\":\"alice\"}");
    assertThat(encode(new Push.Message(publication(null)))).doesNotContain("from");
    assertThat(encode(new Push.Join(ChannelName.of("chat:1"), new ClientInfo("bob", "c2", "n1"))))
        .isEqualTo("{\"type\":\"join\",\"channel\":\"chat:1\",\"user\":\"bob\",\"client\":\"c2\"}");
    assertThat(encode(new Push.Reset(ChannelName.of("chat:1"), new StreamPosition(4, "k3J9"))))
        .isEqualTo("{\"type\":\"reset\",\"channel\":\"chat:1\",\"offset\":4,\"epoch\":\"k3J9\"}");
    assertThat(encode(new Push.Subscribe(ChannelName.of("user:7"), new StreamPosition(4, "k3J9"))))
        .isEqualTo(
            "{\"type\":\"subscribe\",\"channel\":\"user:7\",\"epoch\":\"k3J9\",\"offset\":4}");
    assertThat(encode(new Push.Unsubscribe(ChannelName.of("chat:1"), "server")))
        .isEqualTo("{\"type\":\"unsubscribe\",\"channel\":\"chat:1\",\"reason\":\"server\"}");
    assertThat(encode(new Push.Disconnect(CloseCode.RESTART, "drain")))
        .isEqualTo(
            "{\"type\":\"disconnect\",\"code\":1012,\"reason\":\"drain\",\"reconnect\":true}");
  }

  @Test
  void aPublicationIsEncodedOnceAndItsBytesShared() {
    Publication publication = publication(null);
    byte[] first = codec.encode(new Push.Message(publication));
    byte[] second = codec.encode(new Push.Message(publication));
    assertThat(second).isSameAs(first);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "80",
        "bf",
        "c3",
        "e282",
        "f09f98",
        "ff",
        "fe",
        "c0af",
        "c080",
        "c1bf",
        "e080af",
        "f08080af",
        "eda080",
        "edbfbf",
        "f4908080",
        "f5808080",
        "f888808080",
        "c328",
        "e228a1"
      })
  void invalidUtf8IsABadRequestEvenWhereJacksonWouldDecodeIt(String hex) {
    byte[] invalid = HexFormat.of().parseHex(hex);
    byte[] frame =
        concat("{\"id\":1,\"op\":\"publish\",\"channel\":\"c\",\"data\":\"", invalid, "\"}");

    Command command = codec.decode(frame);

    assertThat(command).isInstanceOf(Command.Invalid.class);
    assertThat(((Command.Invalid) command).code()).isEqualTo(ErrorCode.BAD_REQUEST);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "\u00e9",
        "\u07ff",
        "\u0800",
        "\ud7ff",
        "\ue000",
        "\uffff",
        "\ud83d\ude00",
        "\udbff\udfff"
      })
  void everyValidUtf8LengthIsAccepted(String text) {
    String frame = "{\"id\":1,\"op\":\"publish\",\"channel\":\"c\",\"data\":\"" + text + "\"}";

    assertThat(decode(frame))
        .isEqualTo(
            new Command.Publish(1, ChannelName.of("c"), json.getNodeFactory().stringNode(text)));
  }

  @ParameterizedTest
  @ValueSource(longs = {1, 2, 3})
  void utf8ValidationAgreesWithTheJdksStrictDecoder(long seed) {
    Random random = new Random(seed);
    for (int i = 0; i < 20_000; i++) {
      byte[] bytes = new byte[random.nextInt(8)];
      for (int k = 0; k < bytes.length; k++) {
        // Mostly bytes that start or continue a multi-byte sequence, where the edge cases are.
        bytes[k] =
            (byte) (random.nextInt(4) == 0 ? random.nextInt(0x80) : 0x80 + random.nextInt(0x80));
      }
      assertThat(JsonFrameCodec.isValidUtf8(bytes))
          .as("%s", HexFormat.of().formatHex(bytes))
          .isEqualTo(jdkAccepts(bytes));
    }
  }

  @Test
  void encodesAHistoryReplyOfDataAsDeepAsTheBackendApiAccepts() {
    // The API reads bodies up to 500 deep: {"data": 498 arrays} is 499.
    String data = "[".repeat(498) + "]".repeat(498);
    Publication deep =
        new Publication(
            ChannelName.of("document:42"),
            1,
            "k3J9",
            JsonMapper.builder().build().readTree(data),
            1764000000123L,
            null);

    String reply = encode(Reply.ok(7, new Reply.HistoryResult(List.of(deep), 1, "k3J9", false)));

    assertThat(reply).startsWith("{\"id\":7,\"result\":{\"publications\":[{").contains(data);
  }

  private static boolean jdkAccepts(byte[] bytes) {
    try {
      StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(bytes));
      return true;
    } catch (CharacterCodingException e) {
      return false;
    }
  }

  private static byte[] concat(String before, byte[] middle, String after) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(before.getBytes(StandardCharsets.UTF_8));
    out.writeBytes(middle);
    out.writeBytes(after.getBytes(StandardCharsets.UTF_8));
    return out.toByteArray();
  }
}
