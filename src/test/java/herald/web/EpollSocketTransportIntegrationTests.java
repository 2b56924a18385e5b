package herald.web;

import static herald.web.SocketTransportIntegrationTests.liveness;
import static org.assertj.core.api.Assertions.assertThat;

import herald.support.HeraldIntegrationTest;
import io.netty.channel.epoll.EpollSocketChannel;
import java.io.IOException;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.annotation.Import;
import org.springframework.test.context.TestPropertySource;

/**
 * With {@code herald.io-uring=false} the server's connections run on epoll, and {@code
 * herald.event-loops} sets how many loops serve them (README, Operations).
 */
@HeraldIntegrationTest
@Import(SocketTransportIntegrationTests.AcceptedChannels.class)
@TestPropertySource(properties = {"herald.io-uring=false", "herald.event-loops=3"})
class EpollSocketTransportIntegrationTests {

  @Autowired SocketTransportIntegrationTests.AcceptedChannels accepted;
  @LocalServerPort int port;

  @Test
  void connectionsRunOnEpoll() throws IOException {
    assertThat(liveness(port)).isEqualTo(200);

    assertThat(accepted.seen).isNotEmpty().containsOnly(EpollSocketChannel.class);
  }

  @Test
  void asManyEventLoopsAsSet() throws IOException {
    assertThat(accepted.loopsServing(port, 12)).hasSize(3);
  }
}
