package herald.web;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Which kernel interface the server's sockets use ({@code herald.io-uring}, {@code
 * HERALD_IO_URING}).
 *
 * @param ioUring whether the server may use io_uring when the kernel offers it (the default); false
 *     keeps it on epoll, for hosts where io_uring is unwanted
 */
@ConfigurationProperties("herald")
public record SocketProperties(@DefaultValue("true") boolean ioUring) {}
