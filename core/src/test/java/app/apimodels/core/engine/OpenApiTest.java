package app.apimodels.core.engine;

import app.apimodels.core.openapi.OpenApi;
import app.apimodels.core.web.ErrorRenderer.Shape;
import app.apimodels.core.web.Router;
import com.fasterxml.jackson.databind.JsonNode;
import io.swagger.v3.parser.OpenAPIV3Parser;
import io.swagger.v3.parser.core.models.ParseOptions;
import io.swagger.v3.parser.core.models.SwaggerParseResult;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@code /openapi.json}: valid OpenAPI 3.1 by swagger-parser, every route described (summary,
 * success schema, request schema, examples, errors in its path's shape), every example valid
 * against its schema, and the same as the committed {@code docs/openapi.json}.
 */
class OpenApiTest extends EngineTest {

    /** The command that rewrites docs/openapi.json from what the engine serves. */
    static final String REGENERATE = "mvn -B -q -o verify -pl core -am -Dtest=OpenApiTest -Dsurefire.failIfNoSpecifiedTests=false -Dopenapi.write=true";

    /** POST routes that read no body (the others with POST, PUT or PATCH must describe theirs). */
    static final Set<String> READS_NO_BODY = Set.of("POST /auth/logout", "POST /admin/jobs/{name}/run",
            "POST /admin/redemption-batches/{id}/disable", "POST /admin/redemption-codes/{id}/disable",
            "POST /api/v1/account/sessions/revoke-all", "POST /api/v1/account/webhook-secret");

    /** Non-2xx answers that are not failures, so not in the error shape: readiness down is a health answer (status DOWN). */
    static final Set<String> ANSWERS_NOT_ERRORS = Set.of("GET /health/ready 503");

    static String text;
    static OpenApiDocument doc;

    @BeforeAll
    static void start() throws IOException {
        gateway = EngineHarness.start(dir);
        doc = OpenApiDocument.of(gateway);
        text = EngineHarness.expect(gateway.send("GET", "/openapi.json", null, null), 200).bodyText();
    }

    @Test
    void swaggerParserFindsNothingWrong() {
        SwaggerParseResult result = parse(text);
        assertThat(result.getMessages()).isEmpty();
        assertThat(result.getOpenAPI().getOpenapi()).isEqualTo("3.1.0");
        assertThat(result.getOpenAPI().getPaths()).hasSizeGreaterThan(60);
    }

    @Test
    void swaggerParserWouldSayWhatIsWrong() {
        // The check above can fail: a response without a description and a reference to nothing are reported.
        String broken = text.replaceFirst("\"description\" : \"No valid API key\\.\"", "\"x-description\" : \"gone\"")
                .replaceFirst("#/components/schemas/OpenAiError", "#/components/schemas/NoSuchSchema");
        assertThat(broken).isNotEqualTo(text);
        assertThat(parse(broken).getMessages()).isNotEmpty();
    }

    private static SwaggerParseResult parse(String json) {
        ParseOptions options = new ParseOptions();
        options.setResolve(true);
        options.setValidateInternalRefs(true);
        return new OpenAPIV3Parser().readContents(json, null, options);
    }

    @Test
    void everyRouteIsDescribed() {
        List<String> gaps = new ArrayList<>();
        doc.doc.path("paths").fields().forEachRemaining(p -> p.getValue().fields().forEachRemaining(m -> {
            String route = m.getKey().toUpperCase() + " " + p.getKey();
            if (m.getValue().path("summary").asText().isBlank()) {
                gaps.add(route + " has no summary: describe it in a fragment (docs/openapi.md)");
            } else {
                gaps.addAll(gaps(route, p.getKey(), m.getValue()));
            }
        }));
        assertThat(gaps).isEmpty();
    }

    /** What a described operation lacks. */
    private static List<String> gaps(String route, String path, JsonNode op) {
        List<String> gaps = new ArrayList<>();
        JsonNode responses = op.path("responses");
        boolean success = false;
        boolean example = false;
        // An answer with content needs an example, unless it is only bytes (a ZIP archive); a 204 has none.
        boolean exampled = false;
        for (var r : (Iterable<Map.Entry<String, JsonNode>>) responses::fields) {
            String status = r.getKey();
            if (status.startsWith("2") || status.startsWith("3")) {
                success |= status.startsWith("2");
                JsonNode content = r.getValue().path("content");
                if (status.startsWith("2") && !status.equals("204") && content.isEmpty()) {
                    gaps.add(route + " " + status + " has no content (use 204 for none)");
                }
                for (var media : (Iterable<Map.Entry<String, JsonNode>>) content::fields) {
                    if (!media.getValue().has("schema")) {
                        gaps.add(route + " " + status + " " + media.getKey() + " has no schema");
                    }
                    example |= media.getValue().has("example") || media.getValue().has("examples");
                    exampled |= !"binary".equals(media.getValue().path("schema").path("format").asText());
                }
            } else if (!ANSWERS_NOT_ERRORS.contains(route + " " + status)) {
                // Errors in the shape of the path's family, whatever the fragment wrote.
                Shape shape = Shape.of(path);
                JsonNode media = r.getValue().path("content").path(shape.contentType());
                if (!media.path("schema").path("$ref").asText().equals("#/components/schemas/" + OpenApi.schemaOf(shape))) {
                    gaps.add(route + " " + status + " is not in the " + shape + " error shape");
                }
            }
        }
        if (!success) {
            gaps.add(route + " has no 2xx response");
        }
        if (exampled && !example) {
            gaps.add(route + " has no example of a successful answer");
        }
        boolean body = !route.startsWith("GET ") && !route.startsWith("DELETE ") && !READS_NO_BODY.contains(route);
        JsonNode content = op.path("requestBody").path("content");
        if (body && content.isEmpty()) {
            gaps.add(route + " reads a body but describes none (or list it in READS_NO_BODY)");
        }
        for (var media : (Iterable<Map.Entry<String, JsonNode>>) content::fields) {
            if (!media.getValue().has("schema")) {
                gaps.add(route + " request " + media.getKey() + " has no schema");
            }
            if (!media.getValue().has("example") && !media.getValue().has("examples")) {
                gaps.add(route + " request " + media.getKey() + " has no example");
            }
        }
        return gaps;
    }

    @Test
    void everyExampleMatchesItsSchema() {
        List<String> wrong = new ArrayList<>();
        examples(doc.doc, "", wrong);
        assertThat(wrong).isEmpty();
    }

    /** Walks the document: a media type with a schema and examples has each example checked. */
    private static void examples(JsonNode node, String pointer, List<String> wrong) {
        if (node.isObject() && node.has("schema") && (node.has("example") || node.has("examples"))
                && pointer.matches(".*/content/[^/]+$")) {
            List<JsonNode> values = new ArrayList<>();
            if (node.has("example")) {
                values.add(node.get("example"));
            }
            node.path("examples").forEach(e -> values.add(e.has("$ref")
                    ? doc.doc.at(e.get("$ref").asText().substring(1)).path("value") : e.path("value")));
            for (JsonNode v : values) {
                doc.errors(pointer + "/schema", v.toString()).forEach(e -> wrong.add(pointer + ": " + e));
            }
        }
        if (node.isObject()) {
            node.fields().forEachRemaining(e -> examples(e.getValue(), pointer + "/" + OpenApiDocument.escape(e.getKey()), wrong));
        } else if (node.isArray()) {
            for (int i = 0; i < node.size(); i++) {
                examples(node.get(i), pointer + "/" + i, wrong);
            }
        }
    }

    @Test
    void theCommittedDocumentIsWhatTheEngineServes() throws IOException {
        Path committed = Path.of(System.getProperty("user.dir")).resolve("../docs/openapi.json").normalize();
        if (Boolean.getBoolean("openapi.write")) {
            Files.writeString(committed, text, StandardCharsets.UTF_8);
        }
        assertThat(Files.exists(committed) ? Files.readString(committed, StandardCharsets.UTF_8) : "")
                .as("docs/openapi.json differs from /openapi.json; regenerate it with: " + REGENERATE)
                .isEqualTo(text);
    }

    @Test
    void aFragmentDescribingNoRouteStopsTheStart() {
        Router router = new Router().add("GET", "/v1/models", Router.Access.KEY, r -> { });
        OpenApi.Fragment typo = new OpenApi.Fragment("typo", EngineHarness.JSON.createObjectNode().set("paths",
                EngineHarness.JSON.createObjectNode().set("/v1/model", EngineHarness.JSON.createObjectNode().set("get",
                        EngineHarness.JSON.createObjectNode().put("summary", "x")))));
        assertThatThrownBy(() -> OpenApi.document(router.routes(), p -> false, List.of(typo)))
                .hasMessageContaining("GET /v1/model, which is no route");
    }
}
