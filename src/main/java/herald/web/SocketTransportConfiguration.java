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
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.http.client.ReactorResourceFactory;
import reactor.core.publisher.Mono;
import reactor.netty.resources.LoopResources;

/**
 * The server's sockets on io_uring where the kernel offers it, else on epoll, served by one event
 * loop per processor (README, Operations).
 *
 * <p>Reactor Netty prefers Netty's io_uring transport, which Herald ships, whenever the kernel
 * allows it: a turn of the event loop hands all its socket writes to the kernel in one system call,
 * where epoll makes one call per write, which measured about a sixth less CPU per delivery in
 * fan-out. A kernel that refuses io_uring ({@code kernel.io_uring_disabled}, a seccomp profile)
 * leaves Reactor Netty on epoll by itself. {@code herald.io-uring=false} does the same on purpose
 * for the server. (Calls to backends go through Reactor Netty's own loops either way, and Lettuce's
 * connections to Redis are on epoll either way.)
 *
 * <p>Reactor Netty's own loops for a server are at least four. Herald makes one per processor
 * ({@code herald.event-loops} to set another count): nothing Herald runs on a loop blocks, so more
 * loops than processors add no parallelism, only hand-overs. A publication is written at once to
 * the subscribers on the loop that received it, and handed to every other loop as a task with a
 * wake-up; on one processor, one loop instead of four measured 19 % less CPU per delivery at 20k
 * deliveries per second and 12 % less at 40k (README, Sockets).
 */
@Configuration(proxyBeanMethods = false)
class SocketTransportConfiguration {

  private static final Logger log = LoggerFactory.getLogger(SocketTransportConfiguration.class);

  SocketTransportConfiguration(SocketProperties properties) {
    int loops = properties.eventLoopCount();
    if (!properties.ioUring()) {
      log.info("Sockets use epoll on {} event loops: herald.io-uring is false", loops);
    } else if (IoUring.isAvailable()) {
      log.info("Sockets use io_uring on {} event loops", loops);
    } else {
      log.info(
          "Sockets use epoll on {} event loops: io_uring is not available ({})",
          loops,
          IoUring.unavailabilityCause());
    }
  }

  /**
   * Spring Boot's web server runs on this factory's loops instead of Reactor Netty's global ones.
   * The factory makes them when the server asks and closes them when the application stops, after
   * the web server, with Reactor Netty's quiet period of 2 s.
   */
  @Bean
  ReactorResourceFactory serverResources(SocketProperties properties) {
    int count = properties.eventLoopCount();
    ReactorResourceFactory resources = new ReactorResourceFactory();
    resources.setUseGlobalResources(false);
    resources.setLoopResourcesSupplier(
        () ->
            properties.ioUring()
                // Reactor Netty's loops pick io_uring, else epoll, else NIO, by themselves.
                ? LoopResources.create("reactor-http", count, true)
                : new EpollLoops(count));
    return resources;
  }

  /** Event loops on epoll (on NIO where there is no epoll). */
  static final class EpollLoops implements LoopResources {

    private final EventLoopGroup loops;

    EpollLoops(int count) {
      loops =
          new MultiThreadIoEventLoopGroup(
              count,
              new DefaultThreadFactory(
                  Epoll.isAvailable() ? "reactor-http-epoll" : "reactor-http-nio", true),
              Epoll.isAvailable() ? EpollIoHandler.newFactory() : NioIoHandler.newFactory());
    }

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
