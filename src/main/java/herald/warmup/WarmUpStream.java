package herald.warmup;

import java.util.concurrent.atomic.AtomicLong;
import reactor.core.publisher.Flux;
import reactor.netty.http.client.HttpClient;

/**
 * A warm-up client on SSE ({@code GET /sse?channel=...}): subscribed once the node sends the first
 * {@code id:} block, it counts {@code message} events and ends the stream once it has them all.
 */
final class WarmUpStream extends WarmUpClient {

  private static final String BLOCK_END = "\n\n";

  private final StringBuilder pending = new StringBuilder();

  WarmUpStream(int publications, AtomicLong delivered) {
    super(publications, delivered);
  }

  /** Opens the stream with {@code request}, which carries its token and the pass. */
  void open(HttpClient.ResponseReceiver<?> request) {
    run(
        request
            .response(
                (response, body) ->
                    response.status().code() == 200
                        ? body.asString()
                        : Flux.error(
                            new IllegalStateException(
                                "the node refused the warm-up's stream: " + response.status())))
            .doOnNext(this::onChunk)
            .takeUntil(chunk -> done()));
  }

  /** Events arrive in chunks that need not end with an event: only whole blocks are read. */
  private void onChunk(String chunk) {
    pending.append(chunk);
    int end;
    while ((end = pending.indexOf(BLOCK_END)) >= 0) {
      String block = pending.substring(0, end);
      pending.delete(0, end + BLOCK_END.length());
      onBlock(block);
    }
  }

  private void onBlock(String block) {
    if (block.startsWith("event: message")) {
      received();
    } else if (block.startsWith("id: ") && !isSubscribed()) {
      subscribed();
    } else if (block.startsWith("event: disconnect")) {
      throw new IllegalStateException("the node ended the warm-up's stream: " + block);
    }
  }
}
