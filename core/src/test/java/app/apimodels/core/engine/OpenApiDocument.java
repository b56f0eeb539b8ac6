package app.apimodels.core.engine;

import app.apimodels.testkit.web.MockExchange;
import com.fasterxml.jackson.databind.JsonNode;
import com.networknt.schema.InputFormat;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The engine's {@code /openapi.json}, for checking real answers against it: a body is validated by
 * a JSON Schema 2020-12 validator (OpenAPI 3.1's dialect) against the schema the document gives
 * for its route, status and content type, {@code $ref}s into the document's components included.
 */
final class OpenApiDocument {

    private static final String BASE = "https://apimodels.test/openapi.json";

    final JsonNode doc;
    private final SchemaRegistry registry;
    private final Map<String, Schema> schemas = new ConcurrentHashMap<>();

    OpenApiDocument(String json) {
        try {
            this.doc = EngineHarness.JSON.readTree(json);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        this.registry = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12, b -> b.schemas(Map.of(BASE, json)));
    }

    /** The document the engine serves. */
    static OpenApiDocument of(EngineHarness engine) {
        return new OpenApiDocument(EngineHarness.expect(engine.send("GET", "/openapi.json", null, null), 200).bodyText());
    }

    /**
     * Asserts the answer is one the document describes for {@code method template}: its status (an
     * error may fall to {@code default}), its content type, and its JSON body valid against the schema.
     */
    void assertDescribes(String method, String template, MockExchange.Answer answer) {
        if (answer.status() == 204) {
            assertThat(doc.path("paths").path(template).path(method.toLowerCase()).path("responses").has("204"))
                    .as("%s %s answered 204, which the document lists", method, template).isTrue();
            assertThat(answer.bodyText()).as("a 204 has no body").isEmpty();
            return;
        }
        String contentType = answer.contentType();
        assertThat(contentType).as("content type of %s %s", method, template).isNotNull();
        assertValid(method, template, answer.status(), contentType, answer.bodyText());
    }

    void assertValid(String method, String template, int status, String contentType, String body) {
        String mediaType = contentType.split(";")[0].trim();
        JsonNode responses = doc.path("paths").path(template).path(method.toLowerCase()).path("responses");
        assertThat(responses.isObject()).as("%s %s is in the document", method, template).isTrue();
        String key = Integer.toString(status);
        if (!responses.has(key)) {
            assertThat(status).as("%s %s answered %s, which the document does not list", method, template, status).isGreaterThanOrEqualTo(400);
            key = "default";
        }
        JsonNode content = responses.path(key).path("content");
        String described = content.has(mediaType) ? mediaType
                : content.has(mediaType.split("/")[0] + "/*") ? mediaType.split("/")[0] + "/*" : "*/*";
        assertThat(content.has(described)).as("%s %s %s is described as %s", method, template, key, mediaType).isTrue();
        JsonNode schema = content.path(described).path("schema");
        if (schema.path("format").asText().equals("binary")) {
            return; // bytes: the content type is all there is to check
        }
        // A JSON body is validated as it is; text (a transcript, an event stream) as the JSON string it is.
        String instance = mediaType.endsWith("json") ? body : EngineHarness.JSON.getNodeFactory().textNode(body).toString();
        List<String> errors = errors("/paths/" + escape(template) + "/" + method.toLowerCase() + "/responses/" + key
                + "/content/" + escape(described) + "/schema", instance);
        assertThat(errors).as("%s %s %s body %s against the document", method, template, status, body).isEmpty();
    }

    /** Asserts {@code json} is valid against a component schema ({@code ChatCompletionChunk}). */
    void assertSchema(String component, String json) {
        assertThat(errors("/components/schemas/" + component, json)).as("%s against %s", json, component).isEmpty();
    }

    /** What the validator finds wrong with {@code json} against the schema at a JSON pointer into the document. */
    List<String> errors(String pointer, String json) {
        Schema schema = schemas.computeIfAbsent(pointer, p -> registry.getSchema(SchemaLocation.of(BASE + "#" + uriEscape(p))));
        return schema.validate(json, InputFormat.JSON).stream().map(Object::toString).toList();
    }

    /** A JSON pointer token: {@code ~} and {@code /} escaped (RFC 6901). */
    static String escape(String token) {
        return token.replace("~", "~0").replace("/", "~1");
    }

    /** A pointer in a URI fragment: characters a URI may not hold ({, }, space…) percent-encoded, slashes kept. */
    private static String uriEscape(String pointer) {
        return URLEncoder.encode(pointer, StandardCharsets.UTF_8).replace("+", "%20").replace("%2F", "/").replace("%7E", "~");
    }
}
