package app.apimodels.provider.openai;

import app.apimodels.spi.http.HttpResponseData;
import app.apimodels.spi.provider.ProviderException;
import app.apimodels.spi.provider.TaskInput;
import app.apimodels.spi.provider.TaskOutput;
import app.apimodels.spi.provider.TaskRequest;
import app.apimodels.spi.provider.TaskUpdate;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * OpenAI's image API: {@code POST /images/generations} (JSON), or {@code POST /images/edits}
 * (multipart, with the files) when the task has input images. Both answer synchronously with
 * {@code {created, data: [{b64_json | url}], output_format?, usage?}}: GPT image models send
 * base64 and token usage, DALL·E sends links unless asked for base64.
 */
final class Images {

    /**
     * What {@code /images/generations} documents; anything else in a task's input (aspect_ratio,
     * callback_url, the engine's links to input files) is not for the upstream.
     */
    private static final List<String> GENERATION_PARAMETERS = List.of("prompt", "background", "moderation", "n",
            "output_compression", "output_format", "quality", "response_format", "size", "style", "user");
    /** What {@code /images/edits} documents besides its files. */
    private static final List<String> EDIT_PARAMETERS = List.of("prompt", "background", "input_fidelity", "n",
            "output_compression", "output_format", "quality", "response_format", "size", "user");
    /** Input fields whose file is the edit's mask rather than an image to edit. */
    private static final Set<String> MASK_FIELDS = Set.of("mask", "mask_url");
    /** "URLs are only valid for 60 minutes after the image has been generated" (OpenAI API reference). */
    static final Duration URL_VALIDITY = Duration.ofMinutes(60);

    private final ObjectMapper mapper;
    private final UpstreamErrors errors;

    Images(ObjectMapper mapper, UpstreamErrors errors) {
        this.mapper = mapper;
        this.errors = errors;
    }

    /** The JSON for {@code /images/generations}. */
    Map<String, Object> generationPayload(TaskRequest request) {
        Map<String, Object> payload = new LinkedHashMap<>();
        payload.put("model", request.upstreamModel());
        payload.putAll(parameters(request, GENERATION_PARAMETERS));
        return payload;
    }

    /**
     * The form for {@code /images/edits}: fields first, then the images (a single one as
     * {@code image}, several as {@code image[]}, as OpenAI's SDKs send them), then the mask.
     * Reads the input files, so it blocks.
     */
    Multipart editForm(TaskRequest request) {
        Multipart form = new Multipart().field("model", request.upstreamModel());
        parameters(request, EDIT_PARAMETERS).forEach((name, value) -> form.field(name, text(value)));
        List<TaskInput> images = request.media().stream().filter(input -> !MASK_FIELDS.contains(input.field())).toList();
        String imagePart = images.size() == 1 ? "image" : "image[]";
        images.forEach(image -> form.file(imagePart, image));
        request.media().stream().filter(input -> MASK_FIELDS.contains(input.field()))
                .forEach(mask -> form.file("mask", mask));
        return form;
    }

    private static Map<String, Object> parameters(TaskRequest request, List<String> documented) {
        Map<String, Object> parameters = new LinkedHashMap<>();
        for (String name : documented) {
            Object value = request.input().get(name);
            if (value != null) {
                parameters.put(name, value);
            }
        }
        if (!parameters.containsKey("size") && request.input().get("aspect_ratio") instanceof String ratio) {
            String size = ImageSizes.forAspectRatio(request.upstreamModel(), ratio);
            if (size != null) {
                parameters.put("size", size);
            }
        }
        return parameters;
    }

    /** A form field's text: strings as they are, numbers and booleans as in JSON. */
    private String text(Object value) {
        if (value instanceof String text) {
            return text;
        }
        try {
            return mapper.writeValueAsString(value);
        } catch (IOException e) {
            throw new ProviderException(ProviderException.Kind.INVALID_REQUEST, "the request could not be encoded", e);
        }
    }

    /**
     * The finished task from an images answer. Streams over the body so base64 images are
     * decoded straight from it (they can be tens of megabytes, beyond Jackson's default limit on
     * the length of one string).
     *
     * @throws IOException if the body is not the JSON promised
     */
    TaskUpdate read(HttpResponseData response, TaskRequest request) throws IOException {
        List<Object> images = new ArrayList<>(); // byte[] or URI, in order
        Instant created = null;
        String outputFormat = null;
        JsonNode usage = null;
        try (JsonParser parser = mapper.createParser(response.body())) {
            if (parser.nextToken() != JsonToken.START_OBJECT) {
                throw new IOException("not a JSON object");
            }
            while (parser.nextToken() == JsonToken.FIELD_NAME) {
                String name = parser.currentName();
                JsonToken value = parser.nextToken();
                switch (name) {
                    case "data" -> readImages(parser, images);
                    case "created" -> created = value.isNumeric() ? Instant.ofEpochSecond(parser.getLongValue()) : null;
                    case "output_format" -> outputFormat = value == JsonToken.VALUE_STRING ? parser.getText() : null;
                    case "usage" -> usage = value == JsonToken.START_OBJECT ? parser.readValueAsTree() : null;
                    default -> parser.skipChildren();
                }
            }
        }
        if (images.isEmpty()) {
            throw errors.unexpected("upstream answered without images");
        }
        if (outputFormat == null && request.input().get("output_format") instanceof String asked) {
            outputFormat = asked;
        }
        String contentType = outputFormat == null ? null : "image/" + outputFormat;
        Instant now = Instant.now();
        Instant expiresAt = (created == null || created.isAfter(now) ? now : created).plus(URL_VALIDITY);
        List<TaskOutput> outputs = images.stream()
                .map(image -> image instanceof byte[] data
                        ? TaskOutput.bytes(data, contentType)
                        : TaskOutput.url((URI) image, null, expiresAt))
                .toList();
        return TaskUpdate.succeeded(response.header("x-request-id"), outputs, UsageReader.images(usage, outputs.size()));
    }

    private static void readImages(JsonParser parser, List<Object> images) throws IOException {
        if (parser.currentToken() != JsonToken.START_ARRAY) {
            throw new IOException("data is not an array");
        }
        while (parser.nextToken() == JsonToken.START_OBJECT) {
            Object image = null;
            while (parser.nextToken() == JsonToken.FIELD_NAME) {
                String name = parser.currentName();
                JsonToken value = parser.nextToken();
                if (name.equals("b64_json") && value == JsonToken.VALUE_STRING) {
                    image = parser.getBinaryValue();
                } else if (name.equals("url") && value == JsonToken.VALUE_STRING && image == null) {
                    image = uri(parser.getText());
                } else {
                    parser.skipChildren();
                }
            }
            if (image == null) {
                throw new IOException("an image has neither b64_json nor url");
            }
            images.add(image);
        }
        if (parser.currentToken() != JsonToken.END_ARRAY) {
            throw new IOException("data holds something other than images");
        }
    }

    private static URI uri(String text) throws IOException {
        try {
            URI uri = new URI(text);
            if (!uri.isAbsolute()) {
                throw new IOException("image url is not absolute");
            }
            return uri;
        } catch (URISyntaxException e) {
            throw new IOException("image url is not a URI", e);
        }
    }
}
