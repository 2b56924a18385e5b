package herald.transport.websocket;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.compression.ZlibCodecFactory;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.websocketx.extensions.WebSocketServerExtensionHandler;
import io.netty.handler.codec.http.websocketx.extensions.compression.PerMessageDeflateServerExtensionHandshaker;
import reactor.netty.NettyPipeline;

/**
 * Offers permessage-deflate (RFC 7692) in the handshake, with an inflater that stops at the message
 * size limit.
 *
 * <p>Reactor Netty's own {@code compress(true)} inflates without a limit (its {@code maxAllocation}
 * is 0): one 64 KiB frame of deflate data can inflate to about 64 MiB, all of it in memory before
 * any size check (a decompression bomb). Herald negotiates the extension itself instead, the way
 * Reactor Netty does (Netty's extension handler, fed the handshake request, then answering in the
 * 101 response and adding the encoder and decoder behind the frame codec), with Netty's {@code
 * maxAllocation} set just above the size limit: a message that inflates past it fails with a {@code
 * DecompressionException} as soon as that is reached, which {@link PayloadChecks} turns into close
 * 1009, as it does a message that inflated to more than the limit but less than that. The older,
 * per-frame {@code deflate-frame} draft that Reactor Netty also offers is not offered.
 */
final class PermessageDeflate {

  static final String NAME = "herald.permessageDeflate";

  /** The compression level Reactor Netty uses (zlib's default). */
  private static final int COMPRESSION_LEVEL = 6;

  /**
   * Room past the size limit for the inflater's buffer. Netty's inflater (from 4.2.18) wants 512
   * bytes free before each step and fails once its buffer cannot grow that far, even when what is
   * left would fit; so a {@code maxAllocation} of exactly the limit refused messages a little under
   * it. {@link PayloadChecks} holds messages to the limit itself.
   */
  private static final int INFLATER_HEADROOM = 1024;

  private final int maxMessageSize;

  PermessageDeflate(int maxMessageSize) {
    this.maxMessageSize = maxMessageSize;
  }

  /**
   * Lets the WebSocket handshake about to be written on {@code channel} accept permessage-deflate
   * if {@code requestHeaders} offer it. Call before the upgrade.
   */
  void offer(Channel channel, HttpHeaders requestHeaders) {
    if (channel.eventLoop().inEventLoop()) {
      install(channel, requestHeaders);
    } else {
      // Before the handshake response, which is written on the event loop too.
      channel.eventLoop().execute(() -> install(channel, requestHeaders));
    }
  }

  private void install(Channel channel, HttpHeaders requestHeaders) {
    ChannelPipeline pipeline = channel.pipeline();
    ChannelHandlerContext bridge = pipeline.context(NettyPipeline.ReactiveBridge);
    if (pipeline.get(NettyPipeline.HttpCodec) == null || bridge == null) {
      return; // not HTTP/1.1 as Reactor Netty serves it: no WebSocket upgrade either
    }
    var extensions =
        new WebSocketServerExtensionHandler(
            new PerMessageDeflateServerExtensionHandshaker(
                COMPRESSION_LEVEL,
                ZlibCodecFactory.isSupportingWindowSizeAndMemLevel(),
                PerMessageDeflateServerExtensionHandshaker.MAX_WINDOW_SIZE,
                false,
                false,
                maxMessageSize + INFLATER_HEADROOM));
    // The handler reads the offer from the request and passes the request on; from the bridge's
    // context it goes to the pipeline's end, which drops it (as in Reactor Netty).
    try {
      extensions.channelRead(bridge, nettyRequest(requestHeaders));
    } catch (Exception unexpected) {
      throw new IllegalStateException("permessage-deflate offer failed", unexpected);
    }
    // Behind the HTTP codec it sees the 101 response, adds the negotiated header, then puts the
    // extension's encoder and decoder in its place (next to the frame codec) and leaves.
    pipeline.addAfter(NettyPipeline.HttpCodec, NAME, extensions);
  }

  /** Removes the handler if the upgrade did not happen (no 101 response went through it). */
  static void withdraw(Channel channel) {
    ChannelPipeline pipeline = channel.pipeline();
    if (pipeline.get(NAME) != null) {
      pipeline.remove(NAME);
    }
  }

  private static HttpRequest nettyRequest(HttpHeaders headers) {
    return new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/ws", headers);
  }
}
