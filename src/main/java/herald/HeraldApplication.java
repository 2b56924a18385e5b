package herald;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.ConfigurationPropertiesScan;

/** Starts a Herald node. */
@SpringBootApplication
@ConfigurationPropertiesScan
public class HeraldApplication {

  /**
   * Netty's switch for its {@code sun.misc.Unsafe} fast paths. From Java 25 on, Netty leaves them
   * off unless this property is set: direct buffers then need a JDK {@code Cleaner} each and every
   * access to one copies a {@code ByteBuffer} view, which measured about 1.7 KB more memory per
   * idle WebSocket connection and more CPU per delivery (README, Measured). Herald turns them on,
   * as on Java 17 to 24; {@code -Dio.netty.noUnsafe=true} keeps them off.
   */
  static final String NETTY_NO_UNSAFE = "io.netty.noUnsafe";

  public static void main(String[] args) {
    if (System.getProperty(NETTY_NO_UNSAFE) == null) {
      System.setProperty(NETTY_NO_UNSAFE, "false");
    }
    SpringApplication.run(HeraldApplication.class, args);
  }
}
