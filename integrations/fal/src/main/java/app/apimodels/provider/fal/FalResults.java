package app.apimodels.provider.fal;

import app.apimodels.spi.provider.TaskOutput;
import com.fasterxml.jackson.databind.JsonNode;

import java.net.URI;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * The files in a fal result. Models name them differently ({@code images: [...]}, {@code image},
 * {@code video}, {@code audio}, {@code audio_file}…) but each is a file object with a {@code url}
 * and usually a {@code content_type}; with {@code sync_mode} the url is a {@code data:} URI.
 * fal does not document when its media links expire (it is an account setting), so none is given.
 */
final class FalResults {

    private FalResults() {
    }

    static List<TaskOutput> outputs(JsonNode result) {
        List<TaskOutput> outputs = new ArrayList<>();
        collect(result, outputs);
        return outputs;
    }

    private static void collect(JsonNode node, List<TaskOutput> outputs) {
        if (node == null || !node.isContainerNode()) {
            return;
        }
        JsonNode url = node.get("url");
        if (node.isObject() && url != null && url.isTextual()) {
            JsonNode type = node.get("content_type");
            TaskOutput output = output(url.asText(), type != null && type.isTextual() ? type.asText() : null);
            if (output != null) {
                outputs.add(output);
            }
            return;
        }
        node.elements().forEachRemaining(element -> collect(element, outputs));
    }

    private static TaskOutput output(String url, String contentType) {
        if (url.startsWith("data:")) {
            return dataUri(url, contentType);
        }
        if (!url.startsWith("https://") && !url.startsWith("http://")) {
            return null;
        }
        try {
            return TaskOutput.url(URI.create(url), contentType, null);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    /** {@code data:[<type>][;base64],<data>}; only base64 is used for files. */
    private static TaskOutput dataUri(String uri, String contentType) {
        int comma = uri.indexOf(',');
        if (comma < 0) {
            return null;
        }
        String header = uri.substring("data:".length(), comma);
        if (!header.endsWith(";base64")) {
            return null;
        }
        String type = header.substring(0, header.length() - ";base64".length());
        try {
            byte[] data = Base64.getDecoder().decode(uri.substring(comma + 1));
            return TaskOutput.bytes(data, contentType != null ? contentType : type.isEmpty() ? null : type.split(";")[0]);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }
}
