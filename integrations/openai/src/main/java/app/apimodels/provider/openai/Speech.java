package app.apimodels.provider.openai;

import app.apimodels.spi.http.HttpResponseData;
import app.apimodels.spi.provider.ProviderException;
import app.apimodels.spi.provider.TaskRequest;
import app.apimodels.spi.provider.Usage;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * OpenAI's text to speech, {@code POST /audio/speech}: JSON {@code {model, input, voice,
 * response_format, speed, instructions}} in, the audio file itself out. OpenAI reports no usage
 * for it, so what was used is the text's length, in characters (code points), as TTS is priced.
 */
final class Speech {

    /** What {@code /audio/speech} documents besides model and input. */
    private static final List<String> PARAMETERS = List.of("voice", "response_format", "speed", "instructions");

    /**
     * An answer.
     *
     * @param contentType the upstream's, or null if it did not say
     * @param requestId   the upstream's id for the request, if it gave one
     */
    record Audio(byte[] data, String contentType, Usage usage, String requestId) {
    }

    private Speech() {
    }

    /**
     * The JSON for a generation task, whose text is {@code prompt} in the apimodels.app style,
     * or {@code input} as in OpenAI's.
     *
     * @throws ProviderException INVALID_REQUEST if there is no text
     */
    static Map<String, Object> taskPayload(TaskRequest request) {
        String field = request.input().containsKey("input") ? "input" : "prompt";
        Map<String, Object> payload = new LinkedHashMap<>();
        payload.put("model", request.upstreamModel());
        payload.put("input", request.input().get(field));
        if (!hasText(payload)) {
            throw noText(field);
        }
        for (String name : PARAMETERS) {
            Object value = request.input().get(name);
            if (value != null) {
                payload.put(name, value);
            }
        }
        return payload;
    }

    /**
     * The characters to be spoken.
     *
     * @throws ProviderException INVALID_REQUEST if there is no text: not worth a call
     */
    static long characters(Map<String, Object> payload) {
        if (!hasText(payload)) {
            throw noText("input");
        }
        String input = (String) payload.get("input");
        return input.codePointCount(0, input.length());
    }

    private static boolean hasText(Map<String, Object> payload) {
        return payload.get("input") instanceof String input && !input.isBlank();
    }

    private static ProviderException noText(String field) {
        return new ProviderException(ProviderException.Kind.INVALID_REQUEST, 0, field + " must be the text to speak",
                field, null);
    }

    static Audio audio(HttpResponseData response, long characters, UpstreamErrors errors) {
        if (response.body().length == 0) {
            throw errors.unexpected("upstream answered without audio");
        }
        return new Audio(response.body(), response.header("content-type"), new Usage(0, 0, 0, 0, 0, characters),
                response.header("x-request-id"));
    }
}
