package herald.lifecycle;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class DisconnectPlanTests {

  private static final Duration WINDOW = Duration.ofSeconds(10);
  private static final List<Integer> CLIENTS = IntStream.range(0, 1000).boxed().toList();

  @Test
  void everyClientHasItsOwnSlotOfTheWindowAndARandomMomentInIt() {
    DisconnectPlan<Integer> plan = DisconnectPlan.spread(CLIENTS, WINDOW, new Random(42));

    long slot = WINDOW.toMillis() / CLIENTS.size();
    for (int position = 0; position < plan.size(); position++) {
      assertThat(plan.dueMillis(position)).isBetween(position * slot, (position + 1) * slot - 1);
    }
    // Jitter: the moments are not the slots' starts.
    assertThat(IntStream.range(0, plan.size()).filter(i -> plan.dueMillis(i) != i * slot).count())
        .isGreaterThan(CLIENTS.size() / 2);
  }

  @Test
  void eachTenthOfTheWindowCarriesATenthOfTheClients() {
    DisconnectPlan<Integer> plan = DisconnectPlan.spread(CLIENTS, WINDOW, new Random(7));

    int[] perTenth = new int[10];
    for (int position = 0; position < plan.size(); position++) {
      perTenth[(int) (plan.dueMillis(position) * 10 / WINDOW.toMillis())]++;
    }
    assertThat(perTenth).containsOnly(100);
  }

  @Test
  void clientsAreTakenInRandomOrderNotByAge() {
    DisconnectPlan<Integer> plan = DisconnectPlan.spread(CLIENTS, WINDOW, new Random(1));

    List<Integer> order = IntStream.range(0, plan.size()).mapToObj(plan::client).toList();
    assertThat(order).containsExactlyInAnyOrderElementsOf(CLIENTS).isNotEqualTo(CLIENTS);
    assertThat(order.subList(0, 100)).anyMatch(client -> client >= 500);
  }

  @Test
  void dueHandsEveryClientOutOnceInTimeOrder() {
    DisconnectPlan<Integer> plan = DisconnectPlan.spread(CLIENTS, WINDOW, new Random(3));

    List<Integer> handedOut = new ArrayList<>();
    for (long elapsed = 0; elapsed <= WINDOW.toMillis(); elapsed += 100) {
      List<Integer> due = plan.due(elapsed);
      for (int client : due) {
        int position = handedOut.size();
        assertThat(plan.dueMillis(position)).isLessThanOrEqualTo(elapsed);
        handedOut.add(client);
      }
      assertThat(plan.done()).isEqualTo(handedOut.size() == CLIENTS.size());
    }
    assertThat(handedOut).containsExactlyInAnyOrderElementsOf(CLIENTS);
    assertThat(plan.due(WINDOW.toMillis() * 2)).isEmpty();
  }

  @Test
  void noClientsIsDoneAtOnceAndAZeroWindowTellsEveryoneAtTheStart() {
    assertThat(DisconnectPlan.spread(List.of(), WINDOW, new Random()).done()).isTrue();

    DisconnectPlan<Integer> now = DisconnectPlan.spread(CLIENTS, Duration.ZERO, new Random());
    assertThat(now.due(0)).hasSize(CLIENTS.size());
    assertThat(now.done()).isTrue();
  }
}
