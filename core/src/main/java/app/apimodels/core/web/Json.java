package app.apimodels.core.web;

import app.apimodels.json.JsonMappers;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.exc.InputCoercionException;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Map;

/** The one JSON mapper of the engine, and the checks every JSON body goes through. */
public final class Json {

    /** Deeper than any real request (tool schemas included); bounds the parser's recursion. */
    public static final int MAX_DEPTH = 128;
    /** Digits of one number: more than any long or double needs, far below what makes parsing slow. */
    public static final int MAX_NUMBER_LENGTH = 100;

    /**
     * The limits every parse obeys, whatever the body limit in front of it: nesting depth, number
     * length, one string's length and the whole document's.
     */
    public static final StreamReadConstraints LIMITS = StreamReadConstraints.builder()
            .maxNestingDepth(MAX_DEPTH)
            .maxNumberLength(MAX_NUMBER_LENGTH)
            .maxStringLength(64 * 1024 * 1024)
            .maxDocumentLength(128L * 1024 * 1024)
            .maxNameLength(1024)
            .build();

    /**
     * The shared configuration ({@link JsonMappers}: no buffers in server threads), strict about
     * numbers and trailing tokens, and bounded by {@link #LIMITS}.
     */
    public static final ObjectMapper MAPPER = limited(JsonMappers.builder()
            .enable(DeserializationFeature.USE_LONG_FOR_INTS)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build());

    /**
     * Request bodies: integers come as Integer, Long or BigInteger by size (not as the mapper's
     * Long, which fails the whole parse on a number past a long), so an out-of-range number is
     * refused naming its field; {@link #check} makes the small ones Long.
     */
    private static final ObjectReader BODY = MAPPER.readerFor(Object.class).without(DeserializationFeature.USE_LONG_FOR_INTS);

    private Json() {
    }

    private static ObjectMapper limited(ObjectMapper mapper) {
        mapper.getFactory().setStreamReadConstraints(LIMITS);
        return mapper;
    }

    /**
     * Parses a request body that must be a JSON object; a 400 naming the problem otherwise. Besides
     * the parser's limits, no string or name may hold a NUL (no database stores one) and no number
     * may be beyond a double's range ({@code 1e400}); the 400 names the field.
     */
    public static Map<String, Object> object(byte[] body) {
        if (body == null || body.length == 0) {
            throw ApiException.badRequest(null, "request body is empty; a JSON object is required");
        }
        Object value;
        try {
            value = BODY.readValue(body);
        } catch (JsonProcessingException e) {
            throw ApiException.badRequest(null, "request body is not valid JSON: " + problem(e));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (value instanceof Map<?, ?> map) {
            check(map, "");
            @SuppressWarnings("unchecked") Map<String, Object> object = (Map<String, Object>) map;
            return object;
        }
        throw ApiException.badRequest(null, "request body must be a JSON object");
    }

    /**
     * Our own words for what the parser refused (its messages name its classes and features),
     * with the place when it knows it.
     */
    private static String problem(JsonProcessingException e) {
        String what;
        if (e instanceof StreamConstraintsException) {
            String m = String.valueOf(e.getOriginalMessage());
            if (m.contains("nesting depth")) {
                what = "nested deeper than " + MAX_DEPTH + " levels";
            } else if (m.contains("Number value length")) {
                what = "a number is longer than " + MAX_NUMBER_LENGTH + " characters";
            } else if (m.contains("Name length")) {
                what = "a field name is too long";
            } else {
                what = "a value is too long";
            }
        } else if (e instanceof InputCoercionException) {
            what = "a number is out of range";
        } else if (e instanceof JsonParseException) {
            what = "malformed JSON";
        } else if (String.valueOf(e.getOriginalMessage()).contains("Trailing token")) {
            what = "unexpected content after the JSON value";
        } else {
            what = "unexpected end of input or unreadable value";
        }
        JsonLocation at = e.getLocation();
        return at == null || at.getLineNr() < 1 ? what : what + " (line " + at.getLineNr() + ", column " + at.getColumnNr() + ")";
    }

    /**
     * Walks a parsed body (its depth is bounded by the parser) for NULs and infinite numbers, and
     * makes every integer that fits one a Long; returns the value to keep.
     */
    @SuppressWarnings("unchecked")
    private static Object check(Object value, String path) {
        if (value instanceof Map<?, ?> m) {
            for (Map.Entry<String, Object> e : ((Map<String, Object>) m).entrySet()) {
                String name = e.getKey();
                String field = path.isEmpty() ? name : path + "." + name;
                if (name.indexOf('\0') >= 0) {
                    throw ApiException.badRequest(Text.printable(field), "a field name contains a NUL character");
                }
                e.setValue(check(e.getValue(), field));
            }
        } else if (value instanceof List<?> l) {
            List<Object> list = (List<Object>) l;
            for (int i = 0; i < list.size(); i++) {
                list.set(i, check(list.get(i), path + "[" + i + "]"));
            }
        } else if (value instanceof String s) {
            if (s.indexOf('\0') >= 0) {
                throw ApiException.badRequest(path, path + " must not contain NUL characters");
            }
        } else if (value instanceof Integer i) {
            return i.longValue();
        } else if (value instanceof Double d && !Double.isFinite(d)) {
            throw ApiException.badRequest(path, path + " is out of range");
        }
        return value;
    }

    public static byte[] bytes(Object value) {
        try {
            return MAPPER.writeValueAsBytes(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialise " + value.getClass(), e);
        }
    }

    public static String string(Object value) {
        try {
            return MAPPER.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialise " + value.getClass(), e);
        }
    }
}
