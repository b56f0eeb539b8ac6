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
    void timeOrderedUuidsAreVersionSevenWithTheTimeInTheirFirst48Bits() {
        for (int i = 0; i < 1_000; i++) {
            long before = System.currentTimeMillis();
            UUID u = Ids.timeOrderedUuid();
            long after = System.currentTimeMillis();
            assertThat(u.version()).isEqualTo(7);
            assertThat(u.variant()).isEqualTo(2);
            assertThat(UUID.fromString(u.toString())).isEqualTo(u);
            assertThat(u.toString()).matches("[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
            assertThat(u.getMostSignificantBits() >>> 16).isBetween(before, after);
        }
    }

    @Test
    void timeOrderedIdsOfLaterMillisecondsSortAfterEarlierOnes() throws Exception {
        List<UUID> uuids = new ArrayList<>();
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            long millis = System.currentTimeMillis();
            while (System.currentTimeMillis() == millis) {
                Thread.onSpinWait(); // the next id falls in a later millisecond
            }
            uuids.add(Ids.timeOrderedUuid());
            ids.add(Ids.timeOrdered("req_"));
        }
        assertThat(uuids).isSorted();
        assertThat(uuids.stream().map(UUID::toString).toList()).isSorted();
        assertThat(ids).isSorted();
    }

    @Test
    void timeOrderedIdsKeepThePrefixedForm() {
        for (int i = 0; i < 1_000; i++) {
            assertThat(Ids.timeOrdered("req_")).matches("req_[0-9a-f]{12}7[0-9a-f]{3}[89ab][0-9a-f]{15}");
        }
    }

    @Test
    void timeOrderedIdsCarry74RandomBits() {
        // Within one millisecond only the random bits differ: over many ids every one of them takes both values.
        long randA0 = -1;
        long randA1 = 0;
        long randB0 = -1;
        long randB1 = 0;
        for (int i = 0; i < 2_000; i++) {
            UUID u = Ids.timeOrderedUuid();
            long a = u.getMostSignificantBits() & 0xfff;
            long b = u.getLeastSignificantBits() & 0x3fff_ffff_ffff_ffffL;
            randA0 &= a;
            randA1 |= a;
            randB0 &= b;
            randB1 |= b;
        }
        assertThat(randA0).isZero();
        assertThat(randA1).isEqualTo(0xfff);
        assertThat(randB0).isZero();
        assertThat(randB1).isEqualTo(0x3fff_ffff_ffff_ffffL);
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
                    seen.add(switch (i % 4) {
                        case 0 -> Ids.prefixed("req_");
                        case 1 -> "req_" + Ids.randomUuid().toString().replace("-", "");
                        case 2 -> Ids.timeOrdered("req_");
                        default -> "req_" + Ids.timeOrderedUuid().toString().replace("-", "");
                    });
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
