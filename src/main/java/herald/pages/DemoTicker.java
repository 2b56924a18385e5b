package herald.pages;

import herald.channel.ChannelName;
import herald.engine.Engine;
import herald.security.TokenVerifier;
import java.time.Duration;
import java.util.SplittableRandom;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * In development mode only: publishes made-up prices to {@value #CHANNEL} every second, so the demo
 * page at {@code /} moves the moment it opens (README "The demo page"). A node that verifies tokens
 * publishes nothing of its own.
 */
final class DemoTicker implements SmartLifecycle {

  static final String CHANNEL = "demo:ticker";
  private static final Duration PERIOD = Duration.ofSeconds(1);
  private static final String[] SYMBOLS = {"HRLD", "JAVA", "NETY"};

  private static final Logger log = LoggerFactory.getLogger(DemoTicker.class);

  private final Engine engine;
  private final TokenVerifier tokens;
  private final JsonMapper json;
  private final SplittableRandom random = new SplittableRandom();
  private final double[] prices = {120.0, 25.0, 42.0};
  private @Nullable Disposable ticks;

  DemoTicker(Engine engine, TokenVerifier tokens, JsonMapper json) {
    this.engine = engine;
    this.tokens = tokens;
    this.json = json;
  }

  @Override
  public synchronized void start() {
    if (tokens.secure() || ticks != null) {
      return;
    }
    ChannelName channel = ChannelName.of(CHANNEL);
    ticks =
        Flux.interval(PERIOD, Schedulers.parallel())
            .onBackpressureDrop()
            .concatMap(
                tick ->
                    engine
                        .publish(channel, nextQuote(), null)
                        .onErrorResume(
                            error -> {
                              log.debug("demo ticker: {}", error.toString());
                              return Mono.empty();
                            }),
                1)
            .subscribe();
    log.info("development mode: the demo ticker publishes to {} every {}", CHANNEL, PERIOD);
  }

  /** One quote: a symbol, its new price and the change, moving by a random walk. */
  private ObjectNode nextQuote() {
    int index = random.nextInt(SYMBOLS.length);
    double change = Math.round(prices[index] * (random.nextDouble() - 0.5) * 2) / 100.0;
    prices[index] = Math.max(1, Math.round((prices[index] + change) * 100) / 100.0);
    ObjectNode quote = json.createObjectNode();
    quote.put("symbol", SYMBOLS[index]);
    quote.put("price", prices[index]);
    quote.put("change", change);
    return quote;
  }

  @Override
  public synchronized void stop() {
    if (ticks != null) {
      ticks.dispose();
      ticks = null;
    }
  }

  @Override
  public synchronized boolean isRunning() {
    return ticks != null;
  }
}
