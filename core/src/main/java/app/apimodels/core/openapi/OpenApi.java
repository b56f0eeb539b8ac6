package app.apimodels.core.openapi;

import app.apimodels.core.failure.Failure;
import app.apimodels.core.web.ApiException;
import app.apimodels.core.web.ErrorRenderer;
import app.apimodels.core.web.ErrorRenderer.Shape;
import app.apimodels.core.web.FailureMapping;
import app.apimodels.core.web.Json;
import app.apimodels.core.web.Router;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The OpenAPI 3.1 document of the engine, built once at start: what the router knows (paths,
 * methods, path parameters, security, the error shape of each path) merged with the hand-written
 * fragments that describe each route's summary, bodies, answers and examples.
 *
 * <p>A fragment is {@code {"paths": {template: {method: operation}}, "components": {...}}}; an
 * operation may list {@code "x-errors": {status: description}} (or {@code {status: {description, code, param, detail}}}
 * for an example as the route answers), which becomes responses in the
 * route's error shape with an example rendered by {@link ErrorRenderer} itself. Core's fragments
 * are the {@link #AREAS} under {@code app/apimodels/core/openapi/}; an extension adds its own
 * ({@code Extension#openApi}). Format and rules: docs/openapi.md.
 */
public final class OpenApi {

    /** Core's fragments, by area ({@code app/apimodels/core/openapi/<area>.json}); listed, because a WAR's class path cannot be listed. */
    public static final List<String> AREAS = List.of("common", "v1", "tasks", "auth", "account", "keys", "usage", "billing",
            "codes", "privacy", "admin", "ops");

    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    private static final Pattern PATH_PARAM = Pattern.compile("\\{([^}]+)}");
    /** Key order of an operation in the document, whatever order its fragment used. */
    private static final List<String> OPERATION_KEYS = List.of("operationId", "tags", "summary", "description", "security",
            "parameters", "requestBody", "responses");

    /** One fragment: its name (for messages and tags) and its content. */
    public record Fragment(String area, JsonNode content) {

        /** A fragment on the class path; a missing or malformed one fails the start. */
        public static Fragment load(String area, String resource, ClassLoader loader) {
            try (InputStream in = loader.getResourceAsStream(resource)) {
                if (in == null) {
                    throw new IllegalStateException("OpenAPI fragment '" + area + "' not found at " + resource);
                }
                return new Fragment(area, Json.MAPPER.readTree(in));
            } catch (IOException e) {
                throw new IllegalStateException("OpenAPI fragment " + resource + " is not valid JSON: " + e.getMessage(), e);
            }
        }

        /** Core's fragments, {@link #AREAS}. */
        public static List<Fragment> core() {
            return AREAS.stream().map(a -> load(a, "app/apimodels/core/openapi/" + a + ".json", OpenApi.class.getClassLoader())).toList();
        }
    }

    private OpenApi() {
    }

    /**
     * The document for the router's routes, except those on {@code pages} (HTML an extension owns,
     * such as the console's). Fails when a fragment describes a route that does not exist, a route
     * twice, or gives one component name two meanings.
     */
    public static byte[] document(List<Router.Route> routes, Predicate<String> pages, List<Fragment> fragments) {
        Map<String, Documented> documented = new TreeMap<>();
        ObjectNode components = NODES.objectNode();
        Set<String> known = new HashSet<>();
        for (Router.Route route : routes) {
            known.add(key(route.method(), route.template()));
        }
        for (Fragment f : fragments) {
            JsonNode paths = f.content().path("paths");
            for (Iterator<Map.Entry<String, JsonNode>> ps = paths.fields(); ps.hasNext(); ) {
                Map.Entry<String, JsonNode> p = ps.next();
                for (Iterator<Map.Entry<String, JsonNode>> ms = p.getValue().fields(); ms.hasNext(); ) {
                    Map.Entry<String, JsonNode> m = ms.next();
                    String key = key(m.getKey(), p.getKey());
                    if (!known.contains(key)) {
                        throw new IllegalStateException("OpenAPI fragment '" + f.area() + "' describes " + key + ", which is no route");
                    }
                    Documented before = documented.put(key, new Documented(f.area(), (ObjectNode) m.getValue()));
                    if (before != null) {
                        throw new IllegalStateException("OpenAPI fragments '" + before.area() + "' and '" + f.area() + "' both describe " + key);
                    }
                }
            }
            mergeComponents(components, f);
        }
        Map<String, ObjectNode> paths = new TreeMap<>();
        for (Router.Route route : routes) {
            if (pages.test(route.template())) {
                continue;
            }
            Documented d = documented.get(key(route.method(), route.template()));
            paths.computeIfAbsent(route.template(), t -> NODES.objectNode())
                    .set(route.method().toLowerCase(), operation(route, d));
        }
        ObjectNode doc = NODES.objectNode();
        doc.put("openapi", "3.1.0");
        doc.set("info", NODES.objectNode().put("title", "apimodels").put("version", "0.1.0")
                .put("description", "The engine's HTTP API. Errors come in the shape of the path's family: OpenAI's under /v1, "
                        + "Anthropic's under /v1/messages, {code, msg, data} on the /api/v1 generation and upload endpoints, "
                        + "RFC 9457 problem details elsewhere. The console's HTML pages (/console/) are not part of the API."));
        ObjectNode pathsNode = doc.putObject("paths");
        paths.forEach(pathsNode::set);
        ObjectNode securitySchemes = NODES.objectNode();
        securitySchemes.set("bearer", NODES.objectNode().put("type", "http").put("scheme", "bearer")
                .put("description", "An API key (sk-…)."));
        // A session's changes also need X-CSRF-Token and a same-origin Origin (README: Accounts and sessions).
        securitySchemes.set("session", NODES.objectNode().put("type", "apiKey").put("in", "cookie").put("name", "apimodels_session")
                .put("description", "A browser session; changes also need the X-CSRF-Token header and a same-origin Origin."));
        components.set("securitySchemes", securitySchemes);
        doc.set("components", sorted(components));
        try {
            return Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsBytes(doc);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private record Documented(String area, ObjectNode operation) {
    }

    private static String key(String method, String template) {
        return method.toUpperCase() + " " + template;
    }

    private static ObjectNode operation(Router.Route route, Documented d) {
        ObjectNode given = d == null ? NODES.objectNode() : d.operation().deepCopy();
        Shape shape = Shape.of(route.template());
        ObjectNode op = NODES.objectNode();
        op.put("operationId", route.method().toLowerCase() + route.template().replaceAll("[^A-Za-z0-9]+", "_"));
        if (d != null) {
            op.set("tags", NODES.arrayNode().add(d.area()));
        }
        switch (route.access()) {
            case PUBLIC -> { }
            case KEY -> op.set("security", NODES.arrayNode().add(scheme("bearer")));
            default -> op.set("security", NODES.arrayNode().add(scheme("bearer")).add(scheme("session")));
        }
        op.set("parameters", parameters(route.template(), given.remove("parameters")));
        ObjectNode responses = given.has("responses") ? (ObjectNode) given.remove("responses") : NODES.objectNode();
        JsonNode errors = given.remove("x-errors");
        if (errors != null) {
            for (Iterator<Map.Entry<String, JsonNode>> es = errors.fields(); es.hasNext(); ) {
                Map.Entry<String, JsonNode> e = es.next();
                int status = status(route, e.getKey());
                if (!responses.has(e.getKey())) {
                    JsonNode v = e.getValue();
                    responses.set(e.getKey(), v.isObject()
                            ? error(shape, status, v.path("description").asText(), v.path("code").asText(null), v.path("param").asText(null),
                                    v.path("detail").asText(null))
                            : error(shape, status, v.asText()));
                }
            }
        }
        if (route.access() != Router.Access.PUBLIC && !responses.has("401")) {
            responses.set("401", error(shape, 401, route.access() == Router.Access.KEY
                    ? "No valid API key." : "No valid API key or session."));
        }
        if (route.access() == Router.Access.ADMIN && !responses.has("403")) {
            responses.set("403", error(shape, 403, "The key or session is not an admin's."));
        }
        if (!responses.has("default")) {
            responses.set("default", error(shape, 500, "Any other failure, in the same shape; the status says which."));
        }
        if (d == null) {
            responses.putObject("200").put("description", "Not described yet.");
        }
        given.set("responses", sortedResponses(responses));
        for (String k : OPERATION_KEYS) {
            if (given.has(k)) {
                op.set(k, given.remove(k));
            }
        }
        op.setAll(given); // whatever else the fragment says (deprecated, callbacks, x-…), after the usual keys
        if (op.path("parameters").isEmpty()) {
            op.remove("parameters");
        }
        return op;
    }

    private static ObjectNode scheme(String name) {
        ObjectNode s = NODES.objectNode();
        s.putArray(name);
        return s;
    }

    /** The template's path parameters (a fragment's own description of one wins), then the fragment's other parameters. */
    private static ArrayNode parameters(String template, JsonNode given) {
        ArrayNode out = NODES.arrayNode();
        Matcher m = PATH_PARAM.matcher(template);
        List<JsonNode> rest = new ArrayList<>();
        if (given != null) {
            given.forEach(rest::add);
        }
        while (m.find()) {
            String name = m.group(1);
            JsonNode own = rest.stream().filter(p -> name.equals(p.path("name").asText()) && "path".equals(p.path("in").asText()))
                    .findFirst().orElse(null);
            if (own != null) {
                rest.remove(own);
                ((ObjectNode) own).put("required", true);
                out.add(own);
            } else {
                ObjectNode p = out.addObject().put("name", name).put("in", "path").put("required", true);
                p.putObject("schema").put("type", "string");
            }
        }
        rest.forEach(out::add);
        return out;
    }

    private static int status(Router.Route route, String key) {
        try {
            int status = Integer.parseInt(key);
            if (status >= 400 && status <= 599) {
                return status;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalStateException("OpenAPI x-errors of " + key(route.method(), route.template()) + ": '" + key
                + "' is not an error status (400-599)");
    }

    /** An error response in a shape: its schema from common.json and an example the renderer itself makes. */
    private static ObjectNode error(Shape shape, int status, String description) {
        return error(shape, status, description, null, null, null);
    }

    /**
     * The same, its example as the route really answers it when the fragment says so ({@code x-errors}
     * {@code {"description", "code", "param", "detail"}}); otherwise the status's first code and the description.
     */
    private static ObjectNode error(Shape shape, int status, String description, String givenCode, String param, String detail) {
        ObjectNode r = NODES.objectNode().put("description", description);
        if (status == 429 || status == 503) {
            r.putObject("headers").putObject("Retry-After").put("$ref", "#/components/headers/RetryAfter");
        } else if (status == 401) {
            r.putObject("headers").putObject("WWW-Authenticate").put("$ref", "#/components/headers/WwwAuthenticate");
        }
        ObjectNode media = r.putObject("content").putObject(shape.contentType());
        media.putObject("schema").put("$ref", "#/components/schemas/" + schemaOf(shape));
        String code = givenCode != null ? givenCode : Arrays.stream(Failure.Reason.values()).filter(x -> FailureMapping.status(x) == status)
                .map(FailureMapping::code).findFirst().orElse("error");
        media.set("example", Json.MAPPER.valueToTree(ErrorRenderer.body(shape,
                new ApiException(status, code, detail != null ? detail : description, param, null))));
        return r;
    }

    /** The schema each shape's errors follow, in common.json. */
    public static String schemaOf(Shape shape) {
        return switch (shape) {
            case ANTHROPIC -> "AnthropicError";
            case OPENAI -> "OpenAiError";
            case APP -> "AppError";
            case PROBLEM -> "Problem";
        };
    }

    private static void mergeComponents(ObjectNode into, Fragment f) {
        for (Iterator<Map.Entry<String, JsonNode>> sections = f.content().path("components").fields(); sections.hasNext(); ) {
            Map.Entry<String, JsonNode> section = sections.next();
            ObjectNode target = into.has(section.getKey()) ? (ObjectNode) into.get(section.getKey()) : into.putObject(section.getKey());
            for (Iterator<Map.Entry<String, JsonNode>> cs = section.getValue().fields(); cs.hasNext(); ) {
                Map.Entry<String, JsonNode> c = cs.next();
                JsonNode before = target.get(c.getKey());
                if (before != null && !before.equals(c.getValue())) {
                    throw new IllegalStateException("OpenAPI component " + section.getKey() + "/" + c.getKey()
                            + " has two meanings (fragment '" + f.area() + "' and an earlier one)");
                }
                target.set(c.getKey(), c.getValue());
            }
        }
    }

    /** Sections and their entries by name, so the document is the same on every start. */
    private static ObjectNode sorted(ObjectNode components) {
        ObjectNode out = NODES.objectNode();
        new TreeMap<>(toMap(components)).forEach((section, entries) -> {
            ObjectNode s = out.putObject(section);
            new TreeMap<>(toMap((ObjectNode) entries)).forEach(s::set);
        });
        return out;
    }

    /** Statuses in order, {@code default} last. */
    private static ObjectNode sortedResponses(ObjectNode responses) {
        ObjectNode out = NODES.objectNode();
        new TreeMap<>(toMap(responses)).forEach((k, v) -> {
            if (!k.equals("default")) {
                out.set(k, v);
            }
        });
        if (responses.has("default")) {
            out.set("default", responses.get("default"));
        }
        return out;
    }

    private static Map<String, JsonNode> toMap(ObjectNode node) {
        Map<String, JsonNode> m = new TreeMap<>();
        node.fields().forEachRemaining(e -> m.put(e.getKey(), e.getValue()));
        return m;
    }
}
