package app.apimodels.json;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * Writes one small JSON document straight into a byte array, without a generator: the bytes are
 * those Jackson's generator writes with its defaults (compact, strings as {@link JsonStrings} puts
 * them, a double as {@link Double#toString}, a non-finite one quoted), for a line written on every
 * call where a generator, its I/O context and its pooled buffer cost more than the line itself.
 * The caller writes a well-formed document (a name before each member's value, at most 63 levels
 * deep); nothing is checked.
 */
public final class JsonWriter {

    private static final byte[] NULL = {'n', 'u', 'l', 'l'};
    private static final byte[] TRUE = {'t', 'r', 'u', 'e'};
    private static final byte[] FALSE = {'f', 'a', 'l', 's', 'e'};

    private byte[] out;
    private int size;
    /** Whether a value was written at each open level (bit 0 the innermost), so the next needs a comma. */
    private long written;
    /** A name was just written: its value needs no comma. */
    private boolean named;

    /** A writer whose array starts at {@code capacity} bytes (it grows as needed). */
    public JsonWriter(int capacity) {
        this.out = new byte[capacity];
    }

    public JsonWriter startObject() {
        return open('{');
    }

    public JsonWriter endObject() {
        return close('}');
    }

    public JsonWriter startArray() {
        return open('[');
    }

    public JsonWriter endArray() {
        return close(']');
    }

    /** A member's name; its value comes next. */
    public JsonWriter name(String name) {
        separate();
        quoted(name);
        ensure(1);
        out[size++] = ':';
        named = true;
        return this;
    }

    /** A string value, or null. */
    public JsonWriter string(String value) {
        if (value == null) {
            return nullValue();
        }
        separate();
        quoted(value);
        return this;
    }

    public JsonWriter number(long value) {
        separate();
        ensure(20);
        if (value == Long.MIN_VALUE) {
            return raw(Long.toString(value).getBytes(StandardCharsets.US_ASCII));
        }
        if (value < 0) {
            out[size++] = '-';
            value = -value;
        }
        int digits = 1;
        for (long v = value; v >= 10; v /= 10) {
            digits++;
        }
        for (int i = size + digits - 1; i >= size; i--) {
            out[i] = (byte) ('0' + value % 10);
            value /= 10;
        }
        size += digits;
        return this;
    }

    /** A number or null. */
    public JsonWriter number(Long value) {
        return value == null ? nullValue() : number(value.longValue());
    }

    /** As Jackson writes a double: {@link Double#toString}, quoted if it is not finite. */
    public JsonWriter number(double value) {
        String text = Double.toString(value);
        if (!Double.isFinite(value)) {
            return string(text);
        }
        separate();
        return raw(text.getBytes(StandardCharsets.US_ASCII));
    }

    public JsonWriter bool(boolean value) {
        separate();
        return raw(value ? TRUE : FALSE);
    }

    public JsonWriter nullValue() {
        separate();
        return raw(NULL);
    }

    /** A byte after the document (a line's end). */
    public JsonWriter append(char c) {
        ensure(1);
        out[size++] = (byte) c;
        return this;
    }

    /** What was written, as a buffer over this writer's array (no copy). */
    public ByteBuffer buffer() {
        return ByteBuffer.wrap(out, 0, size);
    }

    /** What was written, copied. */
    public byte[] toByteArray() {
        return java.util.Arrays.copyOf(out, size);
    }

    private JsonWriter open(char c) {
        separate();
        ensure(1);
        out[size++] = (byte) c;
        written <<= 1;
        return this;
    }

    private JsonWriter close(char c) {
        ensure(1);
        out[size++] = (byte) c;
        written >>>= 1; // the enclosing level's, where the container already counts as a value
        return this;
    }

    /** A comma before a value or name that follows another at this level. */
    private void separate() {
        if (named) {
            named = false;
        } else if ((written & 1) != 0) {
            ensure(1);
            out[size++] = ',';
        }
        written |= 1;
    }

    private void quoted(String s) {
        byte[] escaped = JsonStrings.escaped(s);
        int length = JsonStrings.length(s, escaped);
        ensure(length + 2);
        out[size++] = '"';
        size = JsonStrings.put(s, escaped, out, size);
        out[size++] = '"';
    }

    private JsonWriter raw(byte[] bytes) {
        ensure(bytes.length);
        System.arraycopy(bytes, 0, out, size, bytes.length);
        size += bytes.length;
        return this;
    }

    private void ensure(int more) {
        if (size + more > out.length) {
            out = java.util.Arrays.copyOf(out, Math.max(out.length * 2, size + more));
        }
    }
}
