package app.apimodels.spi.provider;

/**
 * What a call used, in the units prices are given in.
 *
 * @param inputTokens       prompt tokens, including cached ones and ones written to the cache
 * @param cachedInputTokens the part of {@code inputTokens} served from the upstream's cache
 * @param outputTokens      completion tokens
 * @param images            images produced
 * @param seconds           seconds of audio or video produced or consumed
 * @param characters        characters of text consumed (speech)
 * @param cacheWriteTokens  the part of {@code inputTokens} the upstream wrote to its cache (Anthropic's
 *                          {@code cache_creation_input_tokens}), which it bills above plain input
 */
public record Usage(long inputTokens, long cachedInputTokens, long outputTokens, long images, double seconds,
                    long characters, long cacheWriteTokens) {
    public static final Usage NONE = new Usage(0, 0, 0, 0, 0, 0);

    /** Usage without cache writes (every upstream but Anthropic). */
    public Usage(long inputTokens, long cachedInputTokens, long outputTokens, long images, double seconds, long characters) {
        this(inputTokens, cachedInputTokens, outputTokens, images, seconds, characters, 0);
    }

    public static Usage tokens(long input, long cached, long output) {
        return new Usage(input, cached, output, 0, 0, 0);
    }

    /** This usage with {@code tokens} of its input written to the upstream's cache. */
    public Usage withCacheWriteTokens(long tokens) {
        return new Usage(inputTokens, cachedInputTokens, outputTokens, images, seconds, characters, tokens);
    }
}
