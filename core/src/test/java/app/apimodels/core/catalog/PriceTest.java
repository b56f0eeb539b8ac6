package app.apimodels.core.catalog;

import app.apimodels.spi.provider.Usage;
import org.junit.jupiter.api.Test;

import java.math.BigInteger;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

class PriceTest {

    /** The cost as the price rule defines it, in arbitrary precision: micros × 1e6 × basis points, rounded up once. */
    private static long reference(Price p, Usage u, int markup) {
        long cached = Math.min(u.cachedInputTokens(), u.inputTokens());
        long written = Math.min(u.cacheWriteTokens(), u.inputTokens() - cached);
        BigInteger scaled = big(u.inputTokens() - cached - written, p.inputPer1M())
                .add(big(cached, p.cachedInputPer1M() == null ? p.inputPer1M() : p.cachedInputPer1M()))
                .add(big(written, p.cacheWritePer1M() == null ? p.inputPer1M() : p.cacheWritePer1M()))
                .add(big(u.outputTokens(), p.outputPer1M()))
                .add(big(u.images(), p.perImage()).multiply(BigInteger.valueOf(1_000_000)))
                .add(big((long) Math.ceil(u.seconds() * 1000), p.perSecond()).multiply(BigInteger.valueOf(1000)))
                .add(big(u.characters(), p.per1kCharacters()).multiply(BigInteger.valueOf(1000)))
                .add(BigInteger.valueOf(p.perRequest()).multiply(BigInteger.valueOf(1_000_000)));
        BigInteger[] qr = scaled.multiply(BigInteger.valueOf(10_000L + markup)).divideAndRemainder(BigInteger.valueOf(10_000_000_000L));
        BigInteger rounded = qr[1].signum() > 0 ? qr[0].add(BigInteger.ONE) : qr[0];
        return rounded.min(BigInteger.valueOf(Long.MAX_VALUE / 4)).longValueExact();
    }

    private static BigInteger big(long a, long b) {
        return BigInteger.valueOf(a).multiply(BigInteger.valueOf(b));
    }

    @Test
    void aCallCostsItsUsageAtThePriceWithTheMarkupRoundedUp() {
        Price p = new Price(150_000, 600_000, 75_000L, null, 0, 0, 0, 0);
        // 1,234 input (567 cached) and 200 output tokens at 0.15 / 0.075 / 0.60 per million, +20 %: 315.09 micros, rounded up.
        assertThat(p.cost(Usage.tokens(1_234, 567, 200), 2_000)).isEqualTo(316);
        assertThat(p.cost(Usage.tokens(1, 0, 0), 0)).isEqualTo(1); // never free by rounding
        assertThat(p.cost(Usage.NONE, 2_000)).isZero();
    }

    @Test
    void costsAreExactFromOneTokenToUsageThatOverflowsALong() {
        Random random = new Random(42);
        for (int i = 0; i < 20_000; i++) {
            // Magnitudes from single digits to the edge of a long, so both the long arithmetic and
            // its arbitrary-precision fallback are taken.
            Price p = new Price(any(random), any(random), random.nextBoolean() ? null : any(random),
                    random.nextBoolean() ? null : any(random), any(random), any(random), any(random), any(random));
            Usage u = new Usage(any(random), any(random), any(random), any(random), random.nextInt(100_000) / 7.0, any(random), any(random));
            int markup = random.nextInt(20_000) - 5_000;
            assertThat(p.cost(u, markup)).as("%s %s %d", p, u, markup).isEqualTo(reference(p, u, markup));
        }
    }

    private static long any(Random random) {
        return random.nextLong() >>> (1 + random.nextInt(63)); // never negative
    }
}
