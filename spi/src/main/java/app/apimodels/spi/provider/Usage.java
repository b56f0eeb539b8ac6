package app.apimodels.spi.provider;

/**
 * What a call used, in the units prices are given in.
 *
 * @param inputTokens       prompt tokens, including cached ones
 * @param cachedInputTokens the part of {@code inputTokens} served from the upstream's cache
 * @param outputTokens      completion tokens
 * @param images            images produced
 * @param seconds           seconds of audio or video produced or consumed
 * @param characters        characters of text consumed (speech)
 */
public record Usage(long inputTokens, long cachedInputTokens, long outputTokens, long images, double seconds,
                    long characters) {
    public static final Usage NONE = new Usage(0, 0, 0, 0, 0, 0);

    public static Usage tokens(long input, long cached, long output) {
        return new Usage(input, cached, output, 0, 0, 0);
    }
}
