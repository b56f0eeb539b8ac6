package app.apimodels.core.catalog;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.util.JsonRecyclerPools;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;

import java.io.IOException;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A parsed catalog document that remembers where each value came from, so every validation
 * error can name the file, line and field ({@code catalog.yaml:12: models[0].price: …}).
 * Values are maps, lists, strings, numbers (BigDecimal), booleans or null.
 */
final class Tree {

    /**
     * Buffers pooled in the factory, not per thread (see {@link app.apimodels.json.JsonMappers}),
     * and the same parse limits as every JSON body ({@link app.apimodels.core.web.Json#LIMITS}).
     */
    private static final YAMLFactory YAML = YAMLFactory.builder()
            .recyclerPool(JsonRecyclerPools.newConcurrentDequePool())
            .streamReadConstraints(app.apimodels.core.web.Json.LIMITS).build();

    private final Object value;
    private final String source;
    private final int line;
    private final String path;

    private Tree(Object value, String source, int line, String path) {
        this.value = value;
        this.source = source;
        this.line = line;
        this.path = path;
    }

    static Tree parseYaml(String text, String source) {
        try (JsonParser p = YAML.createParser(text)) {
            if (p.nextToken() == null) {
                return new Tree(new LinkedHashMap<String, Tree>(), source, 1, "");
            }
            return read(p, source, "");
        } catch (IOException e) {
            throw new CatalogException(source + ": not valid YAML: " + e.getMessage());
        }
    }

    /** Wraps JSON-like Java values (an admin API body); there are no lines to report. */
    static Tree of(Object value, String source, String path) {
        if (value instanceof Map<?, ?> m) {
            Map<String, Tree> out = new LinkedHashMap<>();
            m.forEach((k, v) -> out.put(String.valueOf(k), of(v, source, join(path, String.valueOf(k)))));
            return new Tree(out, source, 0, path);
        }
        if (value instanceof List<?> l) {
            List<Tree> out = new ArrayList<>();
            for (int i = 0; i < l.size(); i++) {
                out.add(of(l.get(i), source, path + "[" + i + "]"));
            }
            return new Tree(out, source, 0, path);
        }
        if (value instanceof Number n) {
            return new Tree(new BigDecimal(n.toString()), source, 0, path);
        }
        return new Tree(value, source, 0, path);
    }

    private static Tree read(JsonParser p, String source, String path) throws IOException {
        int line = p.currentTokenLocation().getLineNr();
        JsonToken t = p.currentToken();
        switch (t) {
            case START_OBJECT -> {
                Map<String, Tree> map = new LinkedHashMap<>();
                while (p.nextToken() == JsonToken.FIELD_NAME) {
                    String name = p.currentName();
                    p.nextToken();
                    map.put(name, read(p, source, join(path, name)));
                }
                return new Tree(map, source, line, path);
            }
            case START_ARRAY -> {
                List<Tree> list = new ArrayList<>();
                int i = 0;
                while (p.nextToken() != JsonToken.END_ARRAY) {
                    list.add(read(p, source, path + "[" + i++ + "]"));
                }
                return new Tree(list, source, line, path);
            }
            case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> {
                return new Tree(p.getDecimalValue(), source, line, path);
            }
            case VALUE_TRUE, VALUE_FALSE -> {
                return new Tree(p.getBooleanValue(), source, line, path);
            }
            case VALUE_NULL -> {
                return new Tree(null, source, line, path);
            }
            default -> {
                return new Tree(p.getText(), source, line, path);
            }
        }
    }

    private static String join(String path, String name) {
        return path.isEmpty() ? name : path + "." + name;
    }

    CatalogException error(String message) {
        String where = line > 0 ? source + ":" + line + ": " : source + ": ";
        return new CatalogException(where + (path.isEmpty() ? "" : path + ": ") + message);
    }

    String path() {
        return path;
    }

    /** The value as plain Java: maps, lists, strings, BigDecimals, booleans or null. */
    Object plain() {
        if (value instanceof Map<?, ?> m) {
            Map<String, Object> out = new LinkedHashMap<>();
            m.forEach((k, v) -> out.put((String) k, ((Tree) v).plain()));
            return out;
        }
        if (value instanceof List<?> l) {
            return l.stream().map(v -> ((Tree) v).plain()).toList();
        }
        return value;
    }

    boolean bool() {
        if (value instanceof Boolean b) {
            return b;
        }
        throw error("must be true or false");
    }

    boolean isNull() {
        return value == null;
    }

    Map<String, Tree> map() {
        if (value instanceof Map<?, ?> m) {
            @SuppressWarnings("unchecked") Map<String, Tree> typed = (Map<String, Tree>) m;
            return typed;
        }
        throw error("must be a mapping");
    }

    /** This mapping, refusing keys outside {@code known} (typos must not pass silently). */
    Map<String, Tree> map(Set<String> known) {
        Map<String, Tree> m = map();
        for (Map.Entry<String, Tree> e : m.entrySet()) {
            if (!known.contains(e.getKey())) {
                throw e.getValue().error("unknown field (expected one of " + String.join(", ", known) + ")");
            }
        }
        return m;
    }

    List<Tree> list() {
        if (value instanceof List<?> l) {
            @SuppressWarnings("unchecked") List<Tree> typed = (List<Tree>) l;
            return typed;
        }
        throw error("must be a list");
    }

    String text() {
        if (value instanceof String s && !s.isBlank()) {
            return s.trim();
        }
        if (value instanceof BigDecimal d) {
            return d.toPlainString();
        }
        throw error("must be a non-empty string");
    }

    BigDecimal decimal() {
        if (value instanceof BigDecimal d) {
            return d;
        }
        if (value instanceof String s) {
            try {
                return new BigDecimal(s.trim());
            } catch (NumberFormatException ignored) {
                // reported below
            }
        }
        throw error("must be a number");
    }

    long whole(long min, long max) {
        BigDecimal d = decimal();
        try {
            long v = d.longValueExact();
            if (v >= min && v <= max) {
                return v;
            }
        } catch (ArithmeticException ignored) {
            // reported below
        }
        throw error("must be a whole number between " + min + " and " + max);
    }
}
