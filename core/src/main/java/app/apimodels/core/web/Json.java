package app.apimodels.core.web;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.util.JsonRecyclerPools;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Map;

/** The one JSON mapper of the engine, and the checks every JSON body goes through. */
public final class Json {

    /**
     * Its buffers are pooled in the mapper, not in a thread-local (Jackson's default): inside a server
     * the request threads outlive the application, and a buffer left in one of their thread-locals
     * keeps the application's class loader alive after undeploy.
     */
    public static final ObjectMapper MAPPER = JsonMapper.builder(JsonFactory.builder()
                    .recyclerPool(JsonRecyclerPools.newConcurrentDequePool()).build())
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
