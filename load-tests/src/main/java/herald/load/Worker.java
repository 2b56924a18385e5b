package herald.load;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import reactor.core.publisher.Flux;

/**
 * One load-generator process, driven by the {@link Coordinator} over stdin/stdout, one command per
 * line and one answer line per command (diagnostics go to stderr). A process holds at most what one
 * process may open here (20,000 files), so the coordinator starts several.
 *
 * <pre>
 * open TRANSPORT FIRST COUNT OWN SHARED PREFIX SOURCE_IP CONCURRENCY
 *      -> opened OK FAILED START_NANOS END_NANOS
 *      connection g (FIRST <= g < FIRST+COUNT) subscribes to PREFIX-own-g when OWN is 1, and to
 *      PREFIX-shared-(g % SHARED) when SHARED > 0, in that order (its slots 0, 1)
 * count  -> count DELIVERED
 * reset  -> ok
 * report -> report DELIVERED DUPLICATES GAPS OPEN DROPPED HISTOGRAM_BASE64
 * close  -> closed N
 * exit
 * </pre>
 *
 * <p>Arguments: {@code host port eventLoopThreads}.
 */
public final class Worker {

  private Worker() {}

  public static void main(String[] args) throws Exception {
    String host = args[0];
    Loopback.require(host);
    Subscribers subscribers =
        new Subscribers(host, Integer.parseInt(args[1]), Integer.parseInt(args[2]));
    BufferedReader in =
        new BufferedReader(new InputStreamReader(System.in, StandardCharsets.US_ASCII));
    String line;
    while ((line = in.readLine()) != null) {
      String[] cmd = line.trim().split(" ");
      switch (cmd[0]) {
        case "open" -> answer(open(subscribers, cmd));
        case "count" -> answer("count " + subscribers.deliveries().delivered());
        case "reset" -> {
          subscribers.deliveries().reset();
          answer("ok");
        }
        case "report" -> {
          String[] parts = subscribers.deliveries().report().split(" ");
          answer(
              "report "
                  + parts[0]
                  + " "
                  + parts[1]
                  + " "
                  + parts[2]
                  + " "
                  + subscribers.openCount()
                  + " "
                  + subscribers.dropped()
                  + " "
                  + parts[3]);
        }
        case "close" -> answer("closed " + subscribers.closeAll());
        case "exit" -> {
          subscribers.closeAll();
          System.exit(0);
        }
        default -> answer("error unknown command " + cmd[0]);
      }
    }
    System.exit(0); // the coordinator went away
  }

  private static String open(Subscribers subscribers, String[] cmd) {
    String transport = cmd[1];
    int first = Integer.parseInt(cmd[2]);
    int count = Integer.parseInt(cmd[3]);
    boolean own = "1".equals(cmd[4]);
    int shared = Integer.parseInt(cmd[5]);
    String prefix = cmd[6];
    String sourceIp = cmd[7];
    int concurrency = Integer.parseInt(cmd[8]);
    AtomicInteger ok = new AtomicInteger();
    AtomicInteger failed = new AtomicInteger();
    long start = System.nanoTime();
    Flux.range(first, count)
        .flatMap(
            g -> {
              List<String> channels = new ArrayList<>(2);
              if (own) {
                channels.add(prefix + "-own-" + g);
              }
              if (shared > 0) {
                channels.add(prefix + "-shared-" + (g % shared));
              }
              return subscribers
                  .open(transport, channels, sourceIp)
                  .doOnSuccess(v -> ok.incrementAndGet())
                  .onErrorResume(
                      error -> {
                        if (failed.incrementAndGet() <= 3) {
                          System.err.println("open failed: " + error);
                        }
                        return reactor.core.publisher.Mono.empty();
                      });
            },
            concurrency)
        .blockLast();
    return "opened " + ok.get() + " " + failed.get() + " " + start + " " + System.nanoTime();
  }

  private static void answer(String line) {
    System.out.println(line);
    System.out.flush();
  }
}
