package app.apimodels.core.web;

import app.apimodels.json.ByteTokens;
import app.apimodels.json.JsonMappers;
import app.apimodels.json.JsonStrings;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonStreamContext;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.exc.InputCoercionException;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The one JSON mapper of the engine, and the checks every JSON body goes through. */
public final class Json {

    /** Deeper than any real request (tool schemas included); bounds the parser's recursion. */
    public static final int MAX_DEPTH = 128;
    /** Digits of one number: more than any long or double needs, far below what makes parsing slow. */
    public static final int MAX_NUMBER_LENGTH = 100;
    private static final byte[] NOTHING = {};

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

    private Json() {
    }

    private static ObjectMapper limited(ObjectMapper mapper) {
        mapper.getFactory().setStreamReadConstraints(LIMITS);
        return mapper;
    }

    /**
     * Parses a request body that must be a JSON object; a 400 naming the problem otherwise. Besides
     * the parser's limits, no string or name may hold a NUL (no database stores one), no number
     * may be beyond a double's range ({@code 1e400}) and no object may name a member twice (readers
     * disagree on which one counts); the 400 names the field.
     */
    public static Map<String, Object> object(byte[] body) {
        return parse(body, null, false).object();
    }

    /**
     * A request body parsed as {@link #object} does, kept with its bytes and where the string value
     * of its top-level member {@code spanned} lies in them (so the body can be passed on with only
     * that value replaced, see {@link Document#with}). Its objects and arrays are read-only, so
     * they can be handed to others (a provider, each attempt of a call) without a copy.
     */
    public static Document document(byte[] body, String spanned) {
        return parse(body, spanned, true);
    }

    private static Document parse(byte[] body, String spanned, boolean readOnly) {
        if (body == null || body.length == 0) {
            throw ApiException.badRequest(null, "request body is empty; a JSON object is required");
        }
        Document read = BytesTree.document(body, spanned, readOnly);
        return read != null ? read : withJackson(body, spanned, readOnly);
    }

    /** What {@link BytesTree} leaves to Jackson: the body parsed with its parser (package-private for a test to compare). */
    static Document withJackson(byte[] body, String spanned, boolean readOnly) {
        try (JsonParser parser = MAPPER.getFactory().createParser(body)) {
            JsonToken first = parser.nextToken();
            if (first == null) {
                throw ApiException.badRequest(null, "request body is not valid JSON: unexpected end of input or unreadable value");
            }
            if (first != JsonToken.START_OBJECT) {
                parser.skipChildren();
                noTrailingContent(parser);
                throw ApiException.badRequest(null, "request body must be a JSON object");
            }
            Tree tree = new Tree(parser, spanned, readOnly);
            Map<String, Object> object = tree.object();
            noTrailingContent(parser);
            return new Document(body, object, tree.spanFrom, tree.spanTo);
        } catch (JsonProcessingException e) {
            throw ApiException.badRequest(null, "request body is not valid JSON: " + problem(e));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void noTrailingContent(JsonParser parser) throws IOException {
        if (parser.nextToken() != null) {
            throw ApiException.badRequest(null, "request body is not valid JSON: unexpected content after the JSON value");
        }
    }

    /**
     * A JSON object body as it came and as parsed.
     *
     * @param bytes    the body
     * @param object   its members (maps, lists, strings, Long or BigInteger, Double, Boolean, null), read-only
     * @param spanFrom where the spanned member's string value starts in {@code bytes} (its opening
     *                 quote), or -1 if the object has no such member or its value is not a string
     * @param spanTo   the index after its closing quote
     */
    public record Document(byte[] bytes, Map<String, Object> object, int spanFrom, int spanTo) {

        /** The body with the spanned value replaced by {@code value}, everything else byte for byte as it came. */
        public byte[] with(String value) {
            if (spanFrom < 0) {
                throw new IllegalStateException("the body has no spanned string member");
            }
            return withString(bytes, spanFrom, spanTo, value);
        }
    }

    /**
     * {@code json} with the bytes from {@code from} to {@code to} replaced by {@code value} as a JSON
     * string (quoted, escaped where needed); a {@link JsonStrings#plain} value is written as it is, without
     * encoding it first (this runs on every relayed call and streamed chunk).
     */
    public static byte[] withString(byte[] json, int from, int to, String value) {
        return withString(NOTHING, json, from, to, value, NOTHING);
    }

    /**
     * {@link #withString(byte[], int, int, String)} between {@code head} and {@code tail}, in one
     * array: a streamed chunk's server-sent event is written around it at once, not copied again.
     */
    public static byte[] withString(byte[] head, byte[] json, int from, int to, String value, byte[] tail) {
        byte[] escaped = JsonStrings.escaped(value);
        int length = JsonStrings.length(value, escaped);
        byte[] out = new byte[head.length + json.length - (to - from) + length + 2 + tail.length];
        System.arraycopy(head, 0, out, 0, head.length);
        int at = head.length;
        System.arraycopy(json, 0, out, at, from);
        at += from;
        out[at++] = '"';
        at = JsonStrings.put(value, escaped, out, at);
        out[at++] = '"';
        System.arraycopy(json, to, out, at, json.length - to);
        System.arraycopy(tail, 0, out, at + json.length - to, tail.length);
        return out;
    }

    /**
     * Builds a body's values from the parser in one pass, checking each as it comes. A field's
     * path ({@code messages[0].content}) is only spelled out for a refusal, from the parser's
     * own contexts, so a body that passes builds no path strings.
     */
    private static final class Tree {
        private final JsonParser parser;
        private final String spanned;
        private final boolean readOnly;
        int spanFrom = -1;
        int spanTo = -1;

        Tree(JsonParser parser, String spanned, boolean readOnly) {
            this.parser = parser;
            this.spanned = spanned;
            this.readOnly = readOnly;
        }

        /** The object whose START_OBJECT is the current token, to its END_OBJECT. */
        Map<String, Object> object() throws IOException {
            Map<String, Object> object = new LinkedHashMap<>();
            boolean top = parser.getParsingContext().getParent().inRoot();
            for (String name = parser.nextFieldName(); name != null; name = parser.nextFieldName()) {
                if (name.indexOf('\0') >= 0) {
                    throw ApiException.badRequest(Text.printable(path()), "a field name contains a NUL character");
                }
                JsonToken token = parser.nextToken();
                boolean span = top && name.equals(spanned) && token == JsonToken.VALUE_STRING;
                long from = span ? parser.currentTokenLocation().getByteOffset() : -1;
                int before = object.size();
                object.put(name, value(token));
                if (object.size() == before) {
                    String path = Text.printable(path());
                    throw ApiException.badRequest(path, path + " appears more than once; a field may be given only once");
                }
                if (span) {
                    spanFrom = Math.toIntExact(from);
                    spanTo = Math.toIntExact(parser.currentLocation().getByteOffset());
                }
            }
            return readOnly ? Collections.unmodifiableMap(object) : object;
        }

        /** The value whose first token is {@code token}, to its last. */
        private Object value(JsonToken token) throws IOException {
            switch (token) {
                case START_OBJECT:
                    return object();
                case START_ARRAY: {
                    List<Object> list = new ArrayList<>();
                    for (JsonToken t = parser.nextToken(); t != JsonToken.END_ARRAY; t = parser.nextToken()) {
                        list.add(value(t));
                    }
                    return readOnly ? Collections.unmodifiableList(list) : list;
                }
                case VALUE_STRING: {
                    String s = parser.getText();
                    if (s.indexOf('\0') >= 0) {
                        String path = path();
                        throw ApiException.badRequest(path, path + " must not contain NUL characters");
                    }
                    return s;
                }
                case VALUE_NUMBER_INT:
                    return parser.getNumberType() == JsonParser.NumberType.BIG_INTEGER ? parser.getBigIntegerValue() : parser.getLongValue();
                case VALUE_NUMBER_FLOAT: {
                    double d = parser.getDoubleValue();
                    if (!Double.isFinite(d)) {
                        String path = path();
                        throw ApiException.badRequest(path, path + " is out of range");
                    }
                    return d;
                }
                case VALUE_TRUE:
                    return Boolean.TRUE;
                case VALUE_FALSE:
                    return Boolean.FALSE;
                case VALUE_NULL:
                    return null;
                default:
                    throw new JsonParseException(parser, "unexpected token " + token);
            }
        }

        /**
         * Where the parser is, as the engine names fields: {@code messages[0].content} (the
         * current member of each enclosing object, the current index of each array).
         */
        private String path() {
            ArrayDeque<Object> steps = new ArrayDeque<>();
            for (JsonStreamContext c = parser.getParsingContext(); c != null && !c.inRoot(); c = c.getParent()) {
                steps.push(c.inArray() ? (Object) c.getCurrentIndex() : String.valueOf(c.getCurrentName()));
            }
            StringBuilder path = new StringBuilder();
            for (Object step : steps) {
                if (step instanceof Integer index) {
                    path.append('[').append(index).append(']');
                } else {
                    path.append(path.length() == 0 ? "" : ".").append(step);
                }
            }
            return path.toString();
        }
    }

    /**
     * {@link Tree} read from the bytes ({@link ByteTokens}) instead of a Jackson parser, which costs
     * more per body (its object, I/O context, read contexts and a pooled buffer: about half of what
     * parsing an ordinary chat request allocated) than the small bodies' values themselves. Builds
     * the same values; whatever the bytes are unsure of, or the body breaks a rule (NUL, a repeated
     * name, a number out of range or too long, a name over the limit, nesting past 60, content after
     * the object), is left to Jackson, which then builds it or says what is wrong in its words.
     */
    static final class BytesTree {
        /** Longer bodies are left to Jackson, whose limits on a string's and a document's length are far above. */
        private static final int MAX_BODY = 16 * 1024 * 1024;
        private static final int MAX_NAME = 1024;

        private final ByteTokens tokens;
        private final String spanned;
        private final boolean readOnly;
        int spanFrom = -1;
        int spanTo = -1;

        private BytesTree(ByteTokens tokens, String spanned, boolean readOnly) {
            this.tokens = tokens;
            this.spanned = spanned;
            this.readOnly = readOnly;
        }

        /** The body as {@link Json#parse} reads it, or null to read it with Jackson (package-private for a test). */
        static Document document(byte[] body, String spanned, boolean readOnly) {
            if (body.length > MAX_BODY) {
                return null;
            }
            ByteTokens tokens = new ByteTokens(body);
            try {
                if (tokens.next() != JsonToken.START_OBJECT) {
                    return null;
                }
                BytesTree tree = new BytesTree(tokens, spanned, readOnly);
                Map<String, Object> object = tree.object(true);
                if (tokens.next() != null || !tokens.restIsBlank()) {
                    return null;
                }
                return new Document(body, object, tree.spanFrom, tree.spanTo);
            } catch (RuntimeException e) {
                if (e != ByteTokens.UNSURE) {
                    throw e;
                }
                return null;
            }
        }

        /** The object whose START_OBJECT is the current token, to its END_OBJECT. */
        private Map<String, Object> object(boolean top) {
            Map<String, Object> object = new LinkedHashMap<>();
            for (JsonToken t = tokens.next(); t != JsonToken.END_OBJECT; t = tokens.next()) {
                String name = tokens.fieldName();
                if (name.length() > MAX_NAME) {
                    throw ByteTokens.UNSURE;
                }
                JsonToken token = tokens.next();
                if (top && token == JsonToken.VALUE_STRING && name.equals(spanned)) {
                    spanFrom = tokens.textFrom() - 1;
                    spanTo = tokens.textTo() + 1;
                }
                int before = object.size();
                object.put(name, value(token));
                if (object.size() == before) {
                    throw ByteTokens.UNSURE; // a repeated name
                }
            }
            return readOnly ? Collections.unmodifiableMap(object) : object;
        }

        private Object value(JsonToken token) {
            switch (token) {
                case START_OBJECT:
                    return object(false);
                case START_ARRAY: {
                    List<Object> list = new ArrayList<>();
                    for (JsonToken t = tokens.next(); t != JsonToken.END_ARRAY; t = tokens.next()) {
                        list.add(value(t));
                    }
                    return readOnly ? Collections.unmodifiableList(list) : list;
                }
                case VALUE_STRING: {
                    String s = tokens.text();
                    if (s.indexOf('\0') >= 0) {
                        throw ByteTokens.UNSURE;
                    }
                    return s;
                }
                case VALUE_NUMBER_INT:
                    return tokens.longValue();
                case VALUE_NUMBER_FLOAT: {
                    double d = tokens.doubleValue();
                    if (!Double.isFinite(d)) {
                        throw ByteTokens.UNSURE;
                    }
                    return d;
                }
                case VALUE_TRUE:
                    return Boolean.TRUE;
                case VALUE_FALSE:
                    return Boolean.FALSE;
                case VALUE_NULL:
                    return null;
                default:
                    throw ByteTokens.UNSURE;
            }
        }
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
