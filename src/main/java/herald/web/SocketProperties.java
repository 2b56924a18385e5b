package herald.web;

import jakarta.validation.constraints.PositiveOrZero;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.validation.annotation.Validated;

/**
 * The server's sockets: which kernel interface they use and how many event loops serve them ({@code
 * herald.io-uring}, {@code herald.event-loops}).
 *
 * @param ioUring whether the server may use io_uring when the kernel offers it (the default); false
 *     keeps it on epoll, for hosts where io_uring is unwanted
 * @param eventLoops how many event loops serve the connections; 0 (the default) makes one per
 *     processor the JVM may use
 */
@Validated
@ConfigurationProperties("herald")
public record SocketProperties(
    @DefaultValue("true") boolean ioUring, @DefaultValue("0") @PositiveOrZero int eventLoops) {

  /** The event loops to make: {@link #eventLoops()}, or one per available processor for 0. */
  public int eventLoopCount() {
    return eventLoops > 0 ? eventLoops : Runtime.getRuntime().availableProcessors();
  }
}
