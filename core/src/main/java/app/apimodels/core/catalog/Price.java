package app.apimodels.core.catalog;

import app.apimodels.spi.provider.Usage;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A price rule in micro-credits (1 credit = 1 USD = 1,000,000 micros), each unit exact:
 * token prices are micros per million tokens, the others micros per image, second,
 * thousand characters or request. Costs are computed in integers and rounded up to a whole
 * micro once per call, so no call is ever free by rounding.
 *
 * @param cachedInputPer1M null means cached input tokens (cache reads) cost the same as input tokens
 * @param cacheWritePer1M  null means input tokens written to the upstream's cache cost the same as input tokens
 */
public record Price(long inputPer1M, long outputPer1M, Long cachedInputPer1M, Long cacheWritePer1M, long perRequest,
                    long perImage, long perSecond, long per1kCharacters) {

    /**
     * The most one call or task may hold (10^15 µ, a billion credits): a request whose worst case
     * costs more is refused before any hold, so sums of holds never come near overflowing a long.
     */
    public static final long MAX_HOLD_MICROS = 1_000_000_000_000_000L;

    /** The price's fields as the catalog names them, in the order a form shows them. */
    public static final List<String> FIELDS = List.of("input-per-1m-tokens", "output-per-1m-tokens",
            "cached-input-per-1m-tokens", "cache-write-per-1m-tokens", "per-request", "per-image", "per-second", "per-1k-characters");
    private static final BigInteger MILLION = BigInteger.valueOf(1_000_000);
    private static final BigInteger BASIS = BigInteger.valueOf(10_000);
    /** Micros × 1e6 × basis points: what a scaled cost with its markup is divided by. */
    private static final long SCALE = 1_000_000L * 10_000L;

    static Price parse(Tree t) {
        Map<String, Tree> m = t.map(Set.copyOf(FIELDS));
        if (m.isEmpty()) {
            throw t.error("needs at least one of " + FIELDS);
        }
        return new Price(micros(m.get("input-per-1m-tokens")), micros(m.get("output-per-1m-tokens")),
                optionalMicros(m.get("cached-input-per-1m-tokens")), optionalMicros(m.get("cache-write-per-1m-tokens")),
                micros(m.get("per-request")), micros(m.get("per-image")), micros(m.get("per-second")),
                micros(m.get("per-1k-characters")));
    }

    private static Long optionalMicros(Tree node) {
        return node == null ? null : micros(node);
    }

    /** Credits (USD) as written → micros; refuses negatives and sub-micro precision. */
    private static long micros(Tree node) {
        if (node == null || node.isNull()) {
            return 0;
        }
        BigDecimal credits = node.decimal();
        if (credits.signum() < 0) {
            throw node.error("must not be negative");
        }
        try {
            return credits.movePointRight(6).longValueExact();
        } catch (ArithmeticException e) {
            throw node.error("must be a multiple of 0.000001 and below 9e12");
        }
    }

    /**
     * The cost of a call in micros, with the markup (basis points) applied, rounded up.
     */
    public long cost(Usage u, int markupBasisPoints) {
        // Cache reads and writes are parts of the input; an upstream reporting more is held to it.
        long cached = Math.min(u.cachedInputTokens(), u.inputTokens());
        long written = Math.min(u.cacheWriteTokens(), u.inputTokens() - cached);
        long seconds = (long) Math.ceil(u.seconds() * 1000);
        try {
            // Every call's cost fits a long many times over: the BigInteger form below (same terms,
            // same rounding) is only for usage or prices so large that a step would overflow.
            long scaled = Math.addExact(Math.addExact(Math.addExact(Math.addExact(
                    Math.multiplyExact(u.inputTokens() - cached - written, inputPer1M),
                    Math.multiplyExact(cached, cachedInputPrice())),
                    Math.addExact(Math.multiplyExact(written, cacheWritePrice()), Math.multiplyExact(u.outputTokens(), outputPer1M))),
                    Math.addExact(Math.multiplyExact(Math.multiplyExact(u.images(), perImage), 1_000_000),
                            Math.multiplyExact(Math.multiplyExact(seconds, perSecond), 1000))),
                    Math.addExact(Math.multiplyExact(Math.multiplyExact(u.characters(), per1kCharacters), 1000),
                            Math.multiplyExact(perRequest, 1_000_000)));
            long withMarkup = Math.multiplyExact(scaled, 10_000L + markupBasisPoints);
            long quotient = withMarkup / SCALE;
            return Math.min(withMarkup % SCALE > 0 ? quotient + 1 : quotient, Long.MAX_VALUE / 4);
        } catch (ArithmeticException overflow) {
            return exactCost(u, markupBasisPoints, cached, written, seconds);
        }
    }

    private long exactCost(Usage u, int markupBasisPoints, long cached, long written, long seconds) {
        // Everything in micros × 1e6, so each unit's price stays an integer.
        BigInteger scaled = BigInteger.valueOf(u.inputTokens() - cached - written).multiply(BigInteger.valueOf(inputPer1M))
                .add(BigInteger.valueOf(cached).multiply(BigInteger.valueOf(cachedInputPrice())))
                .add(BigInteger.valueOf(written).multiply(BigInteger.valueOf(cacheWritePrice())))
                .add(BigInteger.valueOf(u.outputTokens()).multiply(BigInteger.valueOf(outputPer1M)))
                .add(BigInteger.valueOf(u.images()).multiply(BigInteger.valueOf(perImage)).multiply(MILLION))
                .add(BigInteger.valueOf(seconds).multiply(BigInteger.valueOf(perSecond)).multiply(BigInteger.valueOf(1000)))
                .add(BigInteger.valueOf(u.characters()).multiply(BigInteger.valueOf(per1kCharacters)).multiply(BigInteger.valueOf(1000)))
                .add(BigInteger.valueOf(perRequest).multiply(MILLION));
        BigInteger withMarkup = scaled.multiply(BASIS.add(BigInteger.valueOf(markupBasisPoints)));
        BigInteger[] qr = withMarkup.divideAndRemainder(MILLION.multiply(BASIS));
        BigInteger result = qr[1].signum() > 0 ? qr[0].add(BigInteger.ONE) : qr[0];
        return result.min(BigInteger.valueOf(Long.MAX_VALUE / 4)).longValueExact();
    }

    /**
     * The usage of {@code inputTokens} and {@code outputTokens} that costs the most at this price:
     * the input all plain, all read from the cache or all written to it, whichever is dearest
     * (a cache write usually is), so a hold made from it covers every way the upstream may bill.
     */
    public Usage worstCase(long inputTokens, long outputTokens) {
        Usage plain = Usage.tokens(inputTokens, 0, outputTokens);
        long dearest = Math.max(inputPer1M, Math.max(cachedInputPrice(), cacheWritePrice()));
        if (dearest == inputPer1M) {
            return plain;
        }
        return dearest == cacheWritePrice() ? plain.withCacheWriteTokens(inputTokens) : Usage.tokens(inputTokens, inputTokens, outputTokens);
    }

    private long cachedInputPrice() {
        return cachedInputPer1M == null ? inputPer1M : cachedInputPer1M;
    }

    private long cacheWritePrice() {
        return cacheWritePer1M == null ? inputPer1M : cacheWritePer1M;
    }

    Map<String, Object> toDoc() {
        Map<String, Object> doc = new LinkedHashMap<>();
        put(doc, "input-per-1m-tokens", inputPer1M);
        put(doc, "output-per-1m-tokens", outputPer1M);
        if (cachedInputPer1M != null) {
            doc.put("cached-input-per-1m-tokens", credits(cachedInputPer1M));
        }
        if (cacheWritePer1M != null) {
            doc.put("cache-write-per-1m-tokens", credits(cacheWritePer1M));
        }
        put(doc, "per-request", perRequest);
        put(doc, "per-image", perImage);
        put(doc, "per-second", perSecond);
        put(doc, "per-1k-characters", per1kCharacters);
        return doc;
    }

    private static void put(Map<String, Object> doc, String key, long micros) {
        if (micros != 0) {
            doc.put(key, credits(micros));
        }
    }

    private static BigDecimal credits(long micros) {
        BigDecimal d = BigDecimal.valueOf(micros, 6).stripTrailingZeros();
        return d.scale() < 0 ? d.setScale(0) : d;
    }
}
