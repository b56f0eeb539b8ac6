package app.apimodels.json;

import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;

import java.nio.charset.StandardCharsets;
import java.util.function.Function;

/**
 * Reads the tokens of one small JSON document straight from its bytes, without a parser object
 * per document: a streamed event is read on every event of every stream, and Jackson's parser
 * allocates more per event (~800 bytes; a tree more still) than everything else on the relay path together. It reads
 * strict JSON (RFC 8259, well-formed UTF-8) and gives up with {@link #UNSURE} on anything it does
 * not read exactly as Jackson would — malformed input, nesting deeper than 60, a value the caller
 * wants as a tree — so the caller reads that document again with Jackson, which then decides (and
 * reports what is wrong). Only names compared in place and the strings asked for are decoded.
 */
public final class ByteTokens implements JsonTokens {

    /** Thrown (without a stack trace) when the document must be read with Jackson instead. */
    public static final RuntimeException UNSURE = new RuntimeException("read with Jackson", null, false, false) { };

    private static final int MAX_DEPTH = 60;
    /** Names up to this long are shared ({@link #fieldName}). */
    private static final int MAX_SHARED_NAME = 32;
    private static final String[] NAMES = new String[512];

    private byte[] b;
    /** The document is {@code b[0, end)}. */
    private int end;
    private int at;
    private boolean started;
    private JsonToken current;
    /** One bit per open container, 1 for an object; {@code depth} of them are open. */
    private long objects;
    private int depth;
    private int nameFrom;
    private int nameTo;
    private int textFrom;
    private int textTo;
    private int numberFrom;
    private int numberTo;
    /** The current string has escapes or bytes beyond ASCII (decoded with care). */
    private boolean textPlain;

    public ByteTokens(byte[] json) {
        this(json, json.length);
    }

    /** The tokens of {@code json[0, length)}. */
    public ByteTokens(byte[] json, int length) {
        this.b = json;
        this.end = length;
    }

    /**
     * What {@code reading} reads from the tokens of {@code json[0, length)}, or null if they are unsure of it
     * (the caller then reads it with Jackson); a reading returns null itself for what it leaves to Jackson.
     */
    public static <T> T read(byte[] json, int length, Function<ByteTokens, T> reading) {
        return new ByteTokens(json, length).readAgain(json, length, reading);
    }

    /**
     * {@link #read} with these tokens, {@link #reset} to {@code json[0, length)}: a stream keeps one
     * for all its events rather than count on the compiler to elide one per event.
     */
    public <T> T readAgain(byte[] json, int length, Function<ByteTokens, T> reading) {
        try {
            return reading.apply(reset(json, length));
        } catch (RuntimeException unsure) {
            if (unsure != UNSURE) {
                throw unsure;
            }
            return null;
        }
    }

    /** These tokens at the start of {@code json[0, length)}, as new. */
    public ByteTokens reset(byte[] json, int length) {
        b = json;
        end = length;
        at = 0;
        started = false;
        current = null;
        objects = 0;
        depth = 0;
        return this;
    }

    /** The next token; after the root value's last token, null. */
    @Override
    public JsonToken next() {
        skipSpaces();
        if (current == JsonToken.FIELD_NAME) {
            return current = value();
        }
        if (current == null && !started) {
            started = true;
            return current = value();
        }
        if (current == null || depth == 0) {
            return current = null; // what follows the root value is not read (nor is it by Jackson's callers here)
        }
        boolean inObject = (objects & 1) != 0;
        byte c = peek();
        if (c == (inObject ? '}' : ']')) {
            at++;
            depth--;
            objects >>>= 1;
            return current = inObject ? JsonToken.END_OBJECT : JsonToken.END_ARRAY;
        }
        if (current != JsonToken.START_OBJECT && current != JsonToken.START_ARRAY) {
            if (c != ',') {
                throw UNSURE;
            }
            at++;
            skipSpaces();
        }
        return current = inObject ? name() : value();
    }

    /** Whether the current field's name (also while on its value) is {@code s}, an ASCII name. */
    @Override
    public boolean nameIs(String s) {
        if (nameTo - nameFrom != s.length()) {
            return false;
        }
        for (int k = 0; k < s.length(); k++) {
            if (b[nameFrom + k] != s.charAt(k)) {
                return false;
            }
        }
        return true;
    }

    /** The current string value. */
    @Override
    public String text() {
        if (current != JsonToken.VALUE_STRING) {
            throw UNSURE;
        }
        if (textPlain) {
            return new String(b, textFrom, textTo - textFrom, StandardCharsets.ISO_8859_1);
        }
        StringBuilder out = new StringBuilder(textTo - textFrom);
        int i = textFrom;
        while (i < textTo) {
            int run = i;
            while (i < textTo && b[i] != '\\') {
                i++;
            }
            out.append(new String(b, run, i - run, StandardCharsets.UTF_8)); // checked well-formed when read
            if (i < textTo) {
                byte e = b[i + 1];
                switch (e) {
                    case 'b' -> out.append('\b');
                    case 'f' -> out.append('\f');
                    case 'n' -> out.append('\n');
                    case 'r' -> out.append('\r');
                    case 't' -> out.append('\t');
                    case 'u' -> out.append((char) Integer.parseInt(new String(b, i + 2, 4, StandardCharsets.ISO_8859_1), 16));
                    default -> out.append((char) e); // " \ /
                }
                i += e == 'u' ? 6 : 2;
            }
        }
        return out.toString();
    }

    /** Skips the current object or array to its end; nothing for any other token. */
    @Override
    public void skipChildren() {
        if (current != JsonToken.START_OBJECT && current != JsonToken.START_ARRAY) {
            return;
        }
        int open = depth;
        while (depth >= open) {
            if (next() == null) {
                throw UNSURE;
            }
        }
    }

    /** Not read here: errors and usage are rare (and read with Jackson). */
    @Override
    public JsonNode tree() {
        throw UNSURE;
    }

    /**
     * The current value as an int, if it is an integer of at most 9 digits (as Jackson reads it: its
     * {@code IntNode}); anything else is left to Jackson.
     */
    public int intValue() {
        if (current != JsonToken.VALUE_NUMBER_INT || numberTo - numberFrom > (b[numberFrom] == '-' ? 10 : 9)) {
            throw UNSURE;
        }
        int value = 0;
        for (int i = b[numberFrom] == '-' ? numberFrom + 1 : numberFrom; i < numberTo; i++) {
            value = value * 10 + (b[i] - '0');
        }
        return b[numberFrom] == '-' ? -value : value;
    }

    /**
     * The current field's name (also while on its value). Names are plain ASCII here (any other is
     * left to Jackson); a short one comes from a small shared table, so the names every request
     * repeats ({@code model}, {@code role}, {@code content}) are not made again for each.
     */
    public String fieldName() {
        int length = nameTo - nameFrom;
        if (length > MAX_SHARED_NAME) {
            return new String(b, nameFrom, length, StandardCharsets.ISO_8859_1);
        }
        int hash = length;
        for (int i = nameFrom; i < nameTo; i++) {
            hash = 31 * hash + b[i];
        }
        int slot = (hash ^ hash >>> 16) & (NAMES.length - 1);
        String shared = NAMES[slot]; // a racy read: a String is safely published, the worst is a miss
        if (shared != null && shared.length() == length && nameIs(shared)) {
            return shared;
        }
        String name = new String(b, nameFrom, length, StandardCharsets.ISO_8859_1);
        NAMES[slot] = name;
        return name;
    }

    /** Where the current string value's content starts (after its opening quote). */
    public int textFrom() {
        return textFrom;
    }

    /** Where the current string value's content ends (at its closing quote). */
    public int textTo() {
        return textTo;
    }

    /**
     * The current value as a long, if it is an integer of at most 18 digits (Jackson reads it as a
     * long too); a longer one is left to Jackson (a long or a BigInteger, as it decides).
     */
    public long longValue() {
        int digits = numberTo - numberFrom - (b[numberFrom] == '-' ? 1 : 0);
        if (current != JsonToken.VALUE_NUMBER_INT || digits > 18) {
            throw UNSURE;
        }
        long value = 0;
        for (int i = numberTo - digits; i < numberTo; i++) {
            value = value * 10 + (b[i] - '0');
        }
        return b[numberFrom] == '-' ? -value : value;
    }

    /**
     * The current value as a double, as Jackson reads it by default ({@link Double#parseDouble} of
     * its text); one longer than Jackson's limit on a number's length (100) is left to Jackson.
     */
    public double doubleValue() {
        if ((current != JsonToken.VALUE_NUMBER_FLOAT && current != JsonToken.VALUE_NUMBER_INT) || numberTo - numberFrom > 100) {
            throw UNSURE;
        }
        return Double.parseDouble(new String(b, numberFrom, numberTo - numberFrom, StandardCharsets.ISO_8859_1));
    }

    /** Whether nothing but white space follows the root value (call once {@link #next} has given null). */
    public boolean restIsBlank() {
        if (depth != 0 || !started) {
            return false;
        }
        skipSpaces();
        return at == end;
    }

    private JsonToken name() {
        if (peek() != '"') {
            throw UNSURE;
        }
        string();
        if (!textPlain) {
            throw UNSURE; // compared as Jackson would only once decoded
        }
        nameFrom = textFrom;
        nameTo = textTo;
        skipSpaces();
        if (peek() != ':') {
            throw UNSURE;
        }
        at++;
        return JsonToken.FIELD_NAME;
    }

    private JsonToken value() {
        skipSpaces();
        byte c = peek();
        switch (c) {
            case '{', '[' -> {
                if (depth == MAX_DEPTH) {
                    throw UNSURE;
                }
                at++;
                depth++;
                objects = objects << 1 | (c == '{' ? 1 : 0);
                return c == '{' ? JsonToken.START_OBJECT : JsonToken.START_ARRAY;
            }
            case '"' -> {
                string();
                return JsonToken.VALUE_STRING;
            }
            case 't' -> {
                return literal("true", JsonToken.VALUE_TRUE);
            }
            case 'f' -> {
                return literal("false", JsonToken.VALUE_FALSE);
            }
            case 'n' -> {
                return literal("null", JsonToken.VALUE_NULL);
            }
            default -> {
                return number();
            }
        }
    }

    /** A string from its opening quote: its content's span, its escapes and UTF-8 checked. */
    private void string() {
        at++;
        textFrom = at;
        boolean plain = true;
        while (true) {
            byte c = peek();
            if (c == '"') {
                break;
            }
            if (c == '\\') {
                plain = false;
                byte e = byteAt(at + 1);
                if (e == 'u') {
                    for (int k = 2; k < 6; k++) {
                        if (Character.digit(byteAt(at + k), 16) < 0) {
                            throw UNSURE;
                        }
                    }
                    at += 6;
                } else if (e == '"' || e == '\\' || e == '/' || e == 'b' || e == 'f' || e == 'n' || e == 'r' || e == 't') {
                    at += 2;
                } else {
                    throw UNSURE;
                }
            } else if (c >= 0 && c < 0x20) {
                throw UNSURE; // control characters must be escaped
            } else if (c < 0) {
                plain = false;
                at += utf8Length(at);
            } else {
                at++;
            }
        }
        textTo = at;
        textPlain = plain;
        at++;
    }

    /** The length of the well-formed UTF-8 sequence (beyond ASCII) at {@code i}: no overlong forms, surrogates or code points past U+10FFFF. */
    private int utf8Length(int i) {
        int lead = b[i] & 0xff;
        int length;
        int min = 0x80;
        int max = 0xbf;
        if (lead >= 0xc2 && lead <= 0xdf) {
            length = 2;
        } else if (lead >= 0xe0 && lead <= 0xef) {
            length = 3;
            min = lead == 0xe0 ? 0xa0 : 0x80;
            max = lead == 0xed ? 0x9f : 0xbf;
        } else if (lead >= 0xf0 && lead <= 0xf4) {
            length = 4;
            min = lead == 0xf0 ? 0x90 : 0x80;
            max = lead == 0xf4 ? 0x8f : 0xbf;
        } else {
            throw UNSURE;
        }
        for (int k = 1; k < length; k++) {
            int next = byteAt(i + k) & 0xff;
            if (next < (k == 1 ? min : 0x80) || next > (k == 1 ? max : 0xbf)) {
                throw UNSURE;
            }
        }
        return length;
    }

    private JsonToken literal(String word, JsonToken token) {
        for (int k = 0; k < word.length(); k++) {
            if (byteAt(at + k) != word.charAt(k)) {
                throw UNSURE;
            }
        }
        at += word.length();
        return token;
    }

    /** {@code -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?} */
    private JsonToken number() {
        numberFrom = at;
        boolean integer = true;
        if (peek() == '-') {
            at++;
        }
        if (peek() == '0') {
            at++;
        } else {
            digits();
        }
        if (at < end && b[at] == '.') {
            at++;
            integer = false;
            digits();
        }
        if (at < end && (b[at] == 'e' || b[at] == 'E')) {
            at++;
            integer = false;
            if (peek() == '+' || peek() == '-') {
                at++;
            }
            digits();
        }
        numberTo = at;
        return integer ? JsonToken.VALUE_NUMBER_INT : JsonToken.VALUE_NUMBER_FLOAT;
    }

    private void digits() {
        int from = at;
        while (at < end && b[at] >= '0' && b[at] <= '9') {
            at++;
        }
        if (at == from || at - from > 100) {
            throw UNSURE; // none, or longer than Jackson's number limits need looking at
        }
    }

    private void skipSpaces() {
        while (at < end && (b[at] == ' ' || b[at] == '\n' || b[at] == '\r' || b[at] == '\t')) {
            at++;
        }
    }

    private byte peek() {
        return byteAt(at);
    }

    private byte byteAt(int i) {
        if (i >= end) {
            throw UNSURE; // cut short
        }
        return b[i];
    }
}
