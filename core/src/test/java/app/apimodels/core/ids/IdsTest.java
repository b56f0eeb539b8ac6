package app.apimodels.core.ids;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;

import static org.assertj.core.api.Assertions.assertThat;

class IdsTest {

    @Test
    void uuidsAreRandomVersionFourInTheUsualForm() {
        for (int i = 0; i < 1_000; i++) {
            UUID u = Ids.randomUuid();
            assertThat(u.version()).isEqualTo(4);
            assertThat(u.variant()).isEqualTo(2);
            assertThat(UUID.fromString(u.toString())).isEqualTo(u);
            assertThat(u.toString()).matches("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
        }
    }

    @Test
    void prefixedIdsAreThePrefixAnd32HexDigits() {
        for (int i = 0; i < 1_000; i++) {
            assertThat(Ids.prefixed("req_")).matches("req_[0-9a-f]{12}4[0-9a-f]{3}[89ab][0-9a-f]{15}");
        }
    }

    @Test
    void idsMadeOnManyThreadsAtOnceAreAllDifferent() throws Exception {
        int threads = 8;
        int each = 20_000;
        Set<String> seen = ConcurrentHashMap.newKeySet();
        CountDownLatch go = new CountDownLatch(1);
        List<Thread> started = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            Thread thread = new Thread(() -> {
                try {
                    go.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
                for (int i = 0; i < each; i++) {
                    seen.add(i % 2 == 0 ? Ids.prefixed("req_") : "req_" + Ids.randomUuid().toString().replace("-", ""));
                }
            });
            thread.start();
            started.add(thread);
        }
        go.countDown();
        for (Thread thread : started) {
            thread.join();
        }
        assertThat(seen).hasSize(threads * each);
    }
}
