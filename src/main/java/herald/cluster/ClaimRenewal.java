package herald.cluster;

import herald.connection.ClientSessions;
import java.time.Duration;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.scheduler.Scheduler;

/**
 * Keeps this node's connections counted in their users' cluster-wide limits: renews every claim
 * each third of {@link ClientSessions#CLAIM_TTL}, so a claim outlives its node by at most that.
 */
final class ClaimRenewal implements AutoCloseable {

  private final Disposable renewals;

  ClaimRenewal(ClientSessions sessions, Scheduler timer) {
    Duration every = ClientSessions.CLAIM_TTL.dividedBy(3);
    this.renewals =
        Flux.interval(every, every, timer)
            .onBackpressureDrop()
            .concatMap(tick -> sessions.renewClaims())
            .subscribe();
  }

  @Override
  public void close() {
    renewals.dispose();
  }
}
