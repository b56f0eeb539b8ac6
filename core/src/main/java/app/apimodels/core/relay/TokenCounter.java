package app.apimodels.core.relay;

import com.knuddels.jtokkit.Encodings;
import com.knuddels.jtokkit.api.Encoding;
import com.knuddels.jtokkit.api.EncodingType;

import java.util.List;
import java.util.Map;

/**
 * Token arithmetic for calls: a cheap upper bound for holds (never below the real count) and a
 * real BPE count (o200k, JTokkit) for when an upstream reports no usage.
 */
public final class TokenCounter {

    /** Allowance per image part: above what vision models charge for a high-detail image. */
    static final long IMAGE_TOKENS = 2_000;
    /**
     * Allowance per Anthropic document (a PDF, by URL or inline): its pages are billed as text and
     * images, which its size does not bound; a prompt cannot exceed the 200k-token context window.
     */
    static final long DOCUMENT_TOKENS = 200_000;
    private static final int PER_MESSAGE = 4;

    private final Encoding encoding = Encodings.newLazyEncodingRegistry().getEncoding(EncodingType.O200K_BASE);

    /**
     * An upper bound on prompt tokens: a BPE token is at least one byte, so the UTF-8 size of the
     * text bounds the count for any tokenizer, with a fixed allowance per image.
     */
    public static long promptUpperBound(Object messagesOrInput) {
        return walk(messagesOrInput, true);
    }

    /** Counts prompt tokens the way OpenAI does for chat (text parts only, images at their allowance). */
    public long countPrompt(Object messagesOrInput) {
        if (messagesOrInput instanceof List<?> list) {
            long n = 3;
            for (Object m : list) {
                n += m instanceof Map<?, ?> ? PER_MESSAGE : 0;
                n += countValue(m);
            }
            return n;
        }
        return countValue(messagesOrInput);
    }

    public long count(String text) {
        return text == null || text.isEmpty() ? 0 : encoding.countTokensOrdinary(text);
    }

    private long countValue(Object v) {
        if (v instanceof String s) {
            return count(s);
        }
        if (v instanceof Map<?, ?> m) {
            if (isImage(m)) {
                return IMAGE_TOKENS;
            }
            long n = 0;
            for (Map.Entry<?, ?> e : m.entrySet()) {
                if (!"role".equals(e.getKey()) && !"type".equals(e.getKey())) {
                    n += countValue(e.getValue());
                }
            }
            return n;
        }
        if (v instanceof List<?> l) {
            long n = 0;
            for (Object o : l) {
                n += o instanceof Number ? 1 : countValue(o);
            }
            return n;
        }
        return 0;
    }

    private static long walk(Object v, boolean top) {
        if (v instanceof String s) {
            return utf8Length(s);
        }
        if (v instanceof Map<?, ?> m) {
            if (isImage(m)) {
                return IMAGE_TOKENS;
            }
            if (isDocument(m)) {
                return DOCUMENT_TOKENS;
            }
            long n = PER_MESSAGE;
            for (Object o : m.values()) {
                n += walk(o, false);
            }
            return n;
        }
        if (v instanceof List<?> l) {
            long n = top ? 3 : 0;
            for (Object o : l) {
                n += o instanceof Number ? 1 : walk(o, false);
            }
            return n;
        }
        return 0;
    }

    /**
     * What {@code s.getBytes(UTF_8).length} is, without encoding it: every call walks its whole
     * prompt here, and a long conversation's copy in UTF-8 was the request's largest allocation.
     * An unpaired surrogate counts 1, as the encoder writes it ({@code ?}).
     */
    static long utf8Length(String s) {
        long n = s.length();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c >= 0x80) {
                if (c < 0x800) {
                    n += 1;
                } else if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                    n += 2; // four bytes for the two chars
                    i++;
                } else if (!Character.isSurrogate(c)) {
                    n += 2;
                }
            }
        }
        return n;
    }

    /** An Anthropic document whose source is not plain text (a PDF). */
    private static boolean isDocument(Map<?, ?> part) {
        return "document".equals(part.get("type")) && part.get("source") instanceof Map<?, ?> source
                && !"text".equals(source.get("type")) && !"content".equals(source.get("type"));
    }

    /** An image or audio part: OpenAI's ({@code image_url}, {@code input_image}, {@code input_audio}) or Anthropic's ({@code image}). */
    private static boolean isImage(Map<?, ?> part) {
        return "image_url".equals(part.get("type")) || "input_image".equals(part.get("type"))
                || "input_audio".equals(part.get("type")) || "image".equals(part.get("type"));
    }
}
