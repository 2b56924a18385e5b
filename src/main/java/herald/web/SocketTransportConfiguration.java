package herald.web;

import static java.util.concurrent.TimeUnit.MILLISECONDS;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.uring.IoUring;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.http.client.ReactorResourceFactory;
import reactor.core.publisher.Mono;
import reactor.netty.resources.LoopResources;

/**
 * The server's sockets on io_uring where the kernel offers it, else on epoll (README, Operations).
 *
 * <p>Reactor Netty prefers Netty's io_uring transport, which Herald ships, whenever the kernel
 * allows it: a turn of the event loop hands all its socket writes to the kernel in one system call,
 * where epoll makes one call per write, which measured about a sixth less CPU per delivery in
 * fan-out. A kernel that refuses io_uring ({@code kernel.io_uring_disabled}, a seccomp profile)
 * leaves Reactor Netty on epoll by itself. {@code herald.io-uring=false} does the same on purpose
 * for the server: it then runs on event loops of Herald's own, as many as Reactor Netty would make,
 * on epoll. (Calls to backends go through Reactor Netty's own loops either way, and Lettuce's
 * connections to Redis are on epoll either way.)
 */
@Configuration(proxyBeanMethods = false)
class SocketTransportConfiguration {

  private static final Logger log = LoggerFactory.getLogger(SocketTransportConfiguration.class);

  SocketTransportConfiguration(SocketProperties properties) {
    if (!properties.ioUring()) {
      log.info("Sockets use epoll: herald.io-uring is false");
    } else if (IoUring.isAvailable()) {
      log.info("Sockets use io_uring");
    } else {
      log.info("Sockets use epoll: io_uring is not available ({})", IoUring.unavailabilityCause());
    }
  }

  /** Spring Boot's web server runs on this factory's loops; its own would pick io_uring. */
  @Bean
  @ConditionalOnProperty(name = "herald.io-uring", havingValue = "false")
  ReactorResourceFactory epollResources(EpollLoops loops) {
    ReactorResourceFactory resources = new ReactorResourceFactory();
    resources.setUseGlobalResources(false);
    resources.setLoopResources(loops);
    return resources;
  }

  @Bean(destroyMethod = "dispose")
  @ConditionalOnProperty(name = "herald.io-uring", havingValue = "false")
  EpollLoops epollLoops() {
    return new EpollLoops();
  }

  /** Event loops on epoll (on NIO where there is no epoll), shut down with the application. */
  static final class EpollLoops implements LoopResources {

    private final EventLoopGroup loops =
        new MultiThreadIoEventLoopGroup(
            LoopResources.DEFAULT_IO_WORKER_COUNT,
            new DefaultThreadFactory(
                Epoll.isAvailable() ? "reactor-http-epoll" : "reactor-http-nio", true),
            Epoll.isAvailable() ? EpollIoHandler.newFactory() : NioIoHandler.newFactory());

    @Override
    public EventLoopGroup onServer(boolean useNative) {
      return loops;
    }

    @Override
    public boolean isDisposed() {
      return loops.isShutdown();
    }

    @Override
    public Mono<Void> disposeLater(Duration quietPeriod, Duration timeout) {
      return Mono.create(
          done ->
              loops
                  .shutdownGracefully(quietPeriod.toMillis(), timeout.toMillis(), MILLISECONDS)
                  .addListener(shutDown -> done.success()));
    }
  }
}
