package herald.support;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * Unique, readable names for channels and users, so that tests sharing one application context (and
 * so one engine) never see each other's publications.
 *
 * <p>A counter rather than {@code UUID.randomUUID()}: drawing from the JVM's shared {@code
 * SecureRandom} on the test thread refills the buffer the node draws from too, which would change
 * whether the node itself reads {@code /dev/urandom} (a blocking call) on its event loop.
 */
public final class TestIds {

  private static final AtomicInteger NEXT = new AtomicInteger();

  private TestIds() {}

  /** {@code prefix} followed by a number not handed out before in this JVM. */
  public static String next(String prefix) {
    return prefix + NEXT.incrementAndGet();
  }
}
