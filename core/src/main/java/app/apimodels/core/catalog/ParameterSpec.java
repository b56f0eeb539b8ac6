package app.apimodels.core.catalog;

import java.math.BigDecimal;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * One model parameter a generation model accepts ({@code parameters:} in the catalog): its type,
 * bounds, default, and whether it sets the quantity that is charged.
 *
 * @param allowed   the only values accepted, or empty for any
 * @param counts    which price unit this parameter's value counts (the number of images, the
 *                  seconds of output, the characters spoken), or null
 * @param media     for {@code url}/{@code urls}: the family of file expected ({@code image},
 *                  {@code video}, {@code audio}), or null for any
 */
public record ParameterSpec(String name, Type type, boolean required, Object defaultValue, List<Object> allowed,
                            BigDecimal min, BigDecimal max, Integer maxLength, Integer maxItems, Counts counts,
                            String media) {

    public enum Type {
        STRING, INTEGER, NUMBER, BOOLEAN, URL, URLS, STRINGS;

        String wireName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    public enum Counts { IMAGES, SECONDS, CHARACTERS }

    static final Set<String> FIELDS = Set.of("type", "required", "default", "enum", "min", "max", "max-length",
            "max-items", "counts", "media");

    public ParameterSpec {
        allowed = allowed == null ? List.of() : List.copyOf(allowed);
    }

    static ParameterSpec parse(String name, Tree t) {
        Map<String, Tree> m = t.map(FIELDS);
        Tree typeNode = Catalogs.required(t, m, "type");
        Type type;
        try {
            type = Type.valueOf(typeNode.text().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw typeNode.error("must be one of " + Arrays.stream(Type.values()).map(Type::wireName).toList());
        }
        boolean required = m.containsKey("required") && m.get("required").bool();
        Object def = m.containsKey("default") ? m.get("default").plain() : null;
        List<Object> allowed = m.containsKey("enum") ? m.get("enum").list().stream().map(Tree::plain).toList() : List.of();
        BigDecimal min = m.containsKey("min") ? m.get("min").decimal() : null;
        BigDecimal max = m.containsKey("max") ? m.get("max").decimal() : null;
        Integer maxLength = m.containsKey("max-length") ? (int) m.get("max-length").whole(1, 10_000_000) : null;
        Integer maxItems = m.containsKey("max-items") ? (int) m.get("max-items").whole(1, 1000) : null;
        Counts counts = null;
        if (m.containsKey("counts")) {
            try {
                counts = Counts.valueOf(m.get("counts").text().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw m.get("counts").error("must be images, seconds or characters");
            }
            boolean numeric = type == Type.INTEGER || type == Type.NUMBER;
            if (counts == Counts.CHARACTERS ? type != Type.STRING : !numeric) {
                throw m.get("counts").error(counts == Counts.CHARACTERS ? "needs type string" : "needs type integer or number");
            }
            if (counts != Counts.CHARACTERS && def == null && !required) {
                throw m.get("counts").error("a counted parameter needs a default or required: true (the charge depends on it)");
            }
        }
        String media = null;
        if (m.containsKey("media")) {
            media = m.get("media").text().toLowerCase(Locale.ROOT);
            if (!Set.of("image", "video", "audio").contains(media)) {
                throw m.get("media").error("must be image, video or audio");
            }
        }
        return new ParameterSpec(name, type, required, def, allowed, min, max, maxLength, maxItems, counts, media);
    }

    Map<String, Object> toDoc() {
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("type", type.wireName());
        if (required) {
            doc.put("required", true);
        }
        if (defaultValue != null) {
            doc.put("default", defaultValue);
        }
        if (!allowed.isEmpty()) {
            doc.put("enum", allowed);
        }
        if (min != null) {
            doc.put("min", min);
        }
        if (max != null) {
            doc.put("max", max);
        }
        if (maxLength != null) {
            doc.put("max-length", maxLength);
        }
        if (maxItems != null) {
            doc.put("max-items", maxItems);
        }
        if (counts != null) {
            doc.put("counts", counts.name().toLowerCase(Locale.ROOT));
        }
        if (media != null) {
            doc.put("media", media);
        }
        return doc;
    }

    /** The parameters a generation model takes when its catalog entry declares none. */
    static Map<String, ParameterSpec> defaults(ModelKind kind) {
        Map<String, ParameterSpec> p = new LinkedHashMap<>();
        switch (kind) {
            case IMAGE -> {
                put(p, text("prompt", true, 32_000, null));
                put(p, new ParameterSpec("n", Type.INTEGER, false, BigDecimal.ONE, null, BigDecimal.ONE, BigDecimal.TEN, null, null, Counts.IMAGES, null));
                put(p, text("size", false, 20, null));
                put(p, text("aspect_ratio", false, 10, null));
                put(p, text("quality", false, 20, null));
                put(p, text("output_format", false, 10, null));
                put(p, text("negative_prompt", false, 32_000, null));
                put(p, seed());
                put(p, url("image_url", Type.URL, "image", null));
                put(p, url("images", Type.URLS, "image", 10));
                put(p, url("input_urls", Type.URLS, "image", 10));
            }
            case VIDEO -> {
                put(p, text("prompt", true, 32_000, null));
                put(p, new ParameterSpec("duration", Type.INTEGER, false, BigDecimal.valueOf(5), null, BigDecimal.ONE, BigDecimal.valueOf(60), null, null, Counts.SECONDS, null));
                put(p, text("aspect_ratio", false, 10, null));
                put(p, text("resolution", false, 10, null));
                put(p, text("negative_prompt", false, 32_000, null));
                put(p, new ParameterSpec("generate_audio", Type.BOOLEAN, false, null, null, null, null, null, null, null, null));
                put(p, seed());
                put(p, url("image_url", Type.URL, "image", null));
                put(p, url("input_urls", Type.URLS, null, 10));
                put(p, url("video_urls", Type.URLS, "video", 4));
            }
            case AUDIO -> {
                put(p, text("prompt", true, 32_000, null));
                put(p, new ParameterSpec("duration", Type.NUMBER, false, BigDecimal.valueOf(30), null, BigDecimal.ONE, BigDecimal.valueOf(600), null, null, Counts.SECONDS, null));
                put(p, text("lyrics", false, 32_000, null));
                put(p, seed());
                put(p, url("input_urls", Type.URLS, "audio", 4));
            }
            case SPEECH -> {
                put(p, text("prompt", true, 100_000, Counts.CHARACTERS));
                put(p, text("voice", false, 100, null));
                put(p, text("response_format", false, 10, null));
                put(p, text("instructions", false, 10_000, null));
                put(p, new ParameterSpec("speed", Type.NUMBER, false, null, null, new BigDecimal("0.25"), new BigDecimal("4"), null, null, null, null));
            }
            default -> {
                // chat, embeddings and transcription take OpenAI's request bodies, not task parameters
            }
        }
        return p;
    }

    private static void put(Map<String, ParameterSpec> p, ParameterSpec s) {
        p.put(s.name(), s);
    }

    private static ParameterSpec text(String name, boolean required, int maxLength, Counts counts) {
        return new ParameterSpec(name, Type.STRING, required, null, null, null, null, maxLength, null, counts, null);
    }

    private static ParameterSpec seed() {
        return new ParameterSpec("seed", Type.INTEGER, false, null, null, BigDecimal.ZERO, BigDecimal.valueOf(4_294_967_295L), null, null, null, null);
    }

    private static ParameterSpec url(String name, Type type, String media, Integer maxItems) {
        return new ParameterSpec(name, type, false, null, null, null, null, null, maxItems, null, media);
    }
}
