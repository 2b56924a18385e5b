package herald.web;

import static org.assertj.core.api.Assertions.assertThat;

import herald.support.HeraldIntegrationTest;
import herald.support.RawHttp;
import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.uring.IoUring;
import io.netty.channel.uring.IoUringSocketChannel;
import java.io.IOException;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.reactor.netty.NettyReactiveWebServerFactory;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.boot.web.server.WebServerFactoryCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Import;

/**
 * Which transport carries the server's connections (README, Operations): io_uring where the kernel
 * offers it, else epoll ({@link EpollSocketTransportIntegrationTests} for {@code
 * herald.io-uring=false}).
 */
@HeraldIntegrationTest
@Import(SocketTransportIntegrationTests.AcceptedChannels.class)
class SocketTransportIntegrationTests {

  /** Records the channel class of every connection the server accepts. */
  @TestConfiguration
  static class AcceptedChannels {

    final Queue<Class<? extends Channel>> seen = new ConcurrentLinkedQueue<>();
    final Set<EventLoop> loops = ConcurrentHashMap.newKeySet();

    @Bean
    WebServerFactoryCustomizer<NettyReactiveWebServerFactory> recordAcceptedChannels() {
      return factory ->
          factory.addServerCustomizers(
              server ->
                  server.doOnConnection(
                      connection -> {
                        seen.add(connection.channel().getClass());
                        loops.add(connection.channel().eventLoop());
                      }));
    }

    /**
     * The event loops that served {@code connections} new connections (handed out in turn, so as
     * many connections as twice the loops reach every loop).
     */
    Set<EventLoop> loopsServing(int port, int connections) throws IOException {
      loops.clear();
      for (int i = 0; i < connections; i++) {
        assertThat(liveness(port)).isEqualTo(200);
      }
      return Set.copyOf(loops);
    }
  }

  @Autowired AcceptedChannels accepted;
  @LocalServerPort int port;

  @Test
  void connectionsRunOnIoUringWhereTheKernelOffersIt() throws IOException {
    assertThat(liveness(port)).isEqualTo(200);

    Class<? extends Channel> expected =
        IoUring.isAvailable() ? IoUringSocketChannel.class : EpollSocketChannel.class;
    assertThat(accepted.seen)
        .as(IoUring.isAvailable() ? "io_uring" : "epoll: " + IoUring.unavailabilityCause())
        .isNotEmpty()
        .containsOnly(expected);
  }

  @Test
  void oneEventLoopPerProcessorByDefault() throws IOException {
    int processors = Runtime.getRuntime().availableProcessors();

    assertThat(accepted.loopsServing(port, 4 * processors)).hasSize(processors);
  }

  static int liveness(int port) throws IOException {
    return RawHttp.exchange(
            port,
            "GET /actuator/health/liveness HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        .status();
  }
}
