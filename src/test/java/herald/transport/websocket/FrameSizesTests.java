package herald.transport.websocket;

import static org.assertj.core.api.Assertions.assertThat;

import herald.channel.ChannelName;
import herald.channel.Publication;
import herald.protocol.FrameCodec;
import herald.protocol.JsonFrameCodec;
import herald.protocol.MsgpackFrameCodec;
import herald.protocol.Push;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.handler.codec.http.websocketx.extensions.WebSocketExtensionData;
import io.netty.handler.codec.http.websocketx.extensions.compression.PerMessageDeflateServerExtensionHandshaker;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.function.IntFunction;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

/**
 * Bytes on the wire per delivered publication (README, Measured): the {@code message} push as each
 * codec encodes it, in a server WebSocket frame (2-byte header up to 125 bytes of payload, 4 bytes
 * up to 64 KiB), with and without permessage-deflate as Herald negotiates it (level 6, 32 KiB
 * window, context kept between messages: the mean of messages 11 to 60 of a stream of 60 on one
 * connection). Data are realistic JSON objects of about 100 bytes and 1 KiB whose values change
 * from one publication to the next.
 */
class FrameSizesTests {

  private static final JsonMapper JSON = JsonMapper.builder().build();
  private static final int MESSAGES = 60;
  private static final int WARM_UP = 10;

  /** A quote of about 100 bytes of JSON. */
  private static String quote(Random random) {
    return String.format(
        Locale.ROOT,
        "{\"symbol\":\"ACME\",\"bid\":%.2f,\"ask\":%.2f,\"volume\":%d,\"exchange\":\"XNAS\","
            + "\"ts\":%d}",
        100 + random.nextInt(500) / 100.0,
        105 + random.nextInt(500) / 100.0,
        10_000 + random.nextInt(90_000),
        1_764_000_000_000L + random.nextInt(1_000_000));
  }

  /** An order update of about 1 KiB of JSON: nested object, an array of line items, text. */
  private static String order(Random random) {
    StringBuilder items = new StringBuilder();
    String[] skus = {"SKU-10442", "SKU-20931", "SKU-33810", "SKU-47215", "SKU-51002"};
    String[] names = {
      "Espresso beans 1kg", "Milk frother", "Ceramic cup", "Filter papers", "Kettle"
    };
    for (int i = 0; i < 5; i++) {
      items.append(i == 0 ? "" : ",");
      items.append(
          String.format(
              Locale.ROOT,
              "{\"sku\":\"%s\",\"name\":\"%s\",\"quantity\":%d,\"unitPrice\":%.2f}",
              skus[i],
              names[i],
              1 + random.nextInt(4),
              5 + random.nextInt(5000) / 100.0));
    }
    return String.format(
        Locale.ROOT,
        "{\"orderId\":\"ord_%08d\",\"status\":\"%s\",\"customer\":{\"id\":\"cus_%06d\","
            + "\"name\":\"Maria Rossi\",\"email\":\"maria.rossi@example.com\",\"tier\":\"gold\"},"
            + "\"shipping\":{\"street\":\"Via Roma 12\",\"city\":\"Bologna\",\"postcode\":\"40121\","
            + "\"country\":\"IT\",\"method\":\"express\",\"eta\":\"2026-12-04T18:00:00Z\"},"
            + "\"items\":[%s],\"currency\":\"EUR\",\"total\":%.2f,\"updatedAt\":%d,"
            + "\"billing\":{\"vatId\":\"IT01234567890\",\"company\":\"Rossi Caffe S.r.l.\"},"
            + "\"tags\":[\"gift\",\"priority\",\"returning-customer\"],"
            + "\"note\":\"Leave the parcel with the concierge if nobody answers the door.\"}",
        random.nextInt(100_000_000),
        random.nextBoolean() ? "packed" : "shipped",
        random.nextInt(1_000_000),
        items,
        20 + random.nextInt(30_000) / 100.0,
        1_764_000_000_000L + random.nextInt(1_000_000));
  }

  @Test
  void messagePackAndPermessageDeflateAgainstJson() {
    System.out.println(
        "| data | JSON | JSON + deflate | MessagePack | MessagePack + deflate |"
            + " deflate CPU per delivery, JSON / MessagePack |");
    System.out.println("|---|---|---|---|---|---|");
    for (var payload : Map.of("quote", 100, "order", 1000).entrySet()) {
      IntFunction<String> data =
          seed ->
              payload.getKey().equals("quote") ? quote(new Random(seed)) : order(new Random(seed));
      Sizes json = measure(new JsonFrameCodec(), data);
      Sizes msgpack = measure(new MsgpackFrameCodec(), data);
      System.out.printf(
          Locale.ROOT,
          "| %s, %.0f B of JSON | %.0f B | %.0f B | %.0f B (%+.0f %%) | %.0f B | %.1f / %.1f µs |%n",
          payload.getKey(),
          json.data,
          json.frame,
          json.deflated,
          msgpack.frame,
          100 * (msgpack.frame / json.frame - 1),
          msgpack.deflated,
          json.deflateMicros,
          msgpack.deflateMicros);

      assertThat(json.data).isBetween(payload.getValue() * 0.8, payload.getValue() * 1.2);
      assertThat(msgpack.frame).isLessThan(json.frame);
      assertThat(json.deflated).isLessThan(json.frame);
    }
  }

  /** Mean sizes of the frames of one connection's stream of publications. */
  private static Sizes measure(FrameCodec codec, IntFunction<String> data) {
    EmbeddedChannel deflating =
        new EmbeddedChannel(
            new PerMessageDeflateServerExtensionHandshaker(6, false, 15, false, false, 65536)
                .handshakeExtension(new WebSocketExtensionData("permessage-deflate", Map.of()))
                .newExtensionEncoder());
    double dataBytes = 0;
    double frameBytes = 0;
    double deflatedBytes = 0;
    for (int i = 0; i < MESSAGES; i++) {
      String json = data.apply(i);
      var publication =
          new Publication(
              ChannelName.of("orders:eu-south"),
              1_000 + i,
              "k3J9xQ",
              JSON.readTree(json),
              1_764_000_000_123L + i * 37L,
              "user-4711");
      byte[] payload = codec.encode(new Push.Message(publication));
      WebSocketFrame frame =
          codec.binary()
              ? new BinaryWebSocketFrame(Unpooled.wrappedBuffer(payload))
              : new TextWebSocketFrame(Unpooled.wrappedBuffer(payload));
      deflating.writeOutbound(frame);
      WebSocketFrame compressed = deflating.readOutbound();
      int compressedBytes = compressed.content().readableBytes();
      compressed.release();
      if (i >= WARM_UP) {
        dataBytes += json.length();
        frameBytes += onTheWire(payload.length);
        deflatedBytes += onTheWire(compressedBytes);
      }
    }
    deflating.finishAndReleaseAll();
    int n = MESSAGES - WARM_UP;
    return new Sizes(dataBytes / n, frameBytes / n, deflatedBytes / n, deflateCpu(codec, data));
  }

  /**
   * Median over 5 rounds of the CPU time (this thread's) one connection's deflate encoder spends
   * per message: with permessage-deflate every delivery is compressed for its connection, where
   * without it every subscriber gets the same encoded bytes.
   */
  private static double deflateCpu(FrameCodec codec, IntFunction<String> data) {
    byte[][] payloads = new byte[MESSAGES][];
    for (int i = 0; i < MESSAGES; i++) {
      payloads[i] =
          codec.encode(
              new Push.Message(
                  new Publication(
                      ChannelName.of("orders:eu-south"),
                      1_000 + i,
                      "k3J9xQ",
                      JSON.readTree(data.apply(i)),
                      1_764_000_000_123L + i * 37L,
                      "user-4711")));
    }
    var threads = java.lang.management.ManagementFactory.getThreadMXBean();
    double[] rounds = new double[5];
    for (int round = 0; round < rounds.length; round++) {
      EmbeddedChannel deflating =
          new EmbeddedChannel(
              new PerMessageDeflateServerExtensionHandshaker(6, false, 15, false, false, 65536)
                  .handshakeExtension(new WebSocketExtensionData("permessage-deflate", Map.of()))
                  .newExtensionEncoder());
      int count = 5_000;
      long started = threads.getCurrentThreadCpuTime();
      for (int i = 0; i < count; i++) {
        byte[] payload = payloads[i % MESSAGES];
        deflating.writeOutbound(
            codec.binary()
                ? new BinaryWebSocketFrame(Unpooled.wrappedBuffer(payload))
                : new TextWebSocketFrame(Unpooled.wrappedBuffer(payload)));
        ((WebSocketFrame) deflating.readOutbound()).release();
      }
      rounds[round] = (threads.getCurrentThreadCpuTime() - started) / 1_000.0 / count;
      deflating.finishAndReleaseAll();
    }
    java.util.Arrays.sort(rounds);
    return rounds[rounds.length / 2];
  }

  /** A server frame's size: unmasked, with the shortest length field. */
  private static int onTheWire(int payload) {
    return payload + (payload <= 125 ? 2 : payload <= 65_535 ? 4 : 10);
  }

  private record Sizes(double data, double frame, double deflated, double deflateMicros) {}
}
