package app.apimodels.core.web;

import app.apimodels.spi.json.JsonMappers;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Map;

/** The one JSON mapper of the engine, and the checks every JSON body goes through. */
public final class Json {

    /** The shared configuration ({@link JsonMappers}: no buffers in server threads), strict about numbers and trailing tokens. */
    public static final ObjectMapper MAPPER = JsonMappers.builder()
            .enable(DeserializationFeature.USE_LONG_FOR_INTS)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    private Json() {
    }

    /** Parses a request body that must be a JSON object; a 400 naming the problem otherwise. */
    public static Map<String, Object> object(byte[] body) {
        if (body == null || body.length == 0) {
            throw ApiException.badRequest(null, "request body is empty; a JSON object is required");
        }
        try {
            if (MAPPER.readValue(body, Object.class) instanceof Map<?, ?> map) {
                @SuppressWarnings("unchecked") Map<String, Object> object = (Map<String, Object>) map;
                return object;
            }
        } catch (JsonProcessingException e) {
            throw ApiException.badRequest(null, "request body is not valid JSON: " + e.getOriginalMessage()
                    + " (line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr() + ")");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        throw ApiException.badRequest(null, "request body must be a JSON object");
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
