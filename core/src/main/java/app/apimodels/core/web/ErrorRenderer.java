package app.apimodels.core.web;

import app.apimodels.core.failure.Failure;
import app.apimodels.spi.web.Response;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Renders errors in the shape each endpoint family promises (README "API surface"):
 * Anthropic's under {@code /v1/messages}, OpenAI's elsewhere under {@code /v1}, apimodels.app's {@code {code,msg,data}} under the
 * {@code /api/v1/…/generations} and uploads endpoints, RFC 9457 problem details elsewhere.
 */
public final class ErrorRenderer {

    private ErrorRenderer() {
    }

    /** A service's failure, mapped by {@link FailureMapping}. */
    public static Response render(String path, Failure f) {
        return render(path, FailureMapping.toApi(f));
    }

    /** The error shapes, one per endpoint family. */
    public enum Shape {
        /** Anthropic's {@code {type: "error", error: {type, message}}}, under {@code /v1/messages}. */
        ANTHROPIC("application/json"),
        /** OpenAI's {@code {error: {message, type, code, param}}}, elsewhere under {@code /v1}. */
        OPENAI("application/json"),
        /** apimodels.app's {@code {code, msg, data}}, on the {@code /api/v1} generation and upload endpoints. */
        APP("application/json"),
        /** RFC 9457 problem details, everywhere else. */
        PROBLEM("application/problem+json");

        private final String contentType;

        Shape(String contentType) {
            this.contentType = contentType;
        }

        public String contentType() {
            return contentType;
        }

        /** The shape of a path (or of a route's template: the rule reads only fixed segments). */
        public static Shape of(String path) {
            if (path.equals("/v1/messages") || path.startsWith("/v1/messages/")) {
                return ANTHROPIC;
            }
            if (path.startsWith("/v1/")) {
                return OPENAI;
            }
            if (path.startsWith("/api/v1/") && (path.contains("/generations") || path.startsWith("/api/v1/uploads"))) {
                return APP;
            }
            return PROBLEM;
        }
    }

    public static Response render(String path, ApiException e) {
        Shape shape = Shape.of(path);
        return new Response(e.status(), shape.contentType(), Json.bytes(body(shape, e)), e.headers());
    }

    /** The body of an error in a shape (the OpenAPI document's examples are made here too). */
    public static Map<String, Object> body(Shape shape, ApiException e) {
        Map<String, Object> body = new LinkedHashMap<>();
        switch (shape) {
            case ANTHROPIC -> {
                // Anthropic's SDKs read its shape; it has no field member, so the message names the field.
                Map<String, Object> error = new LinkedHashMap<>();
                error.put("type", anthropicType(e.status()));
                error.put("message", e.getMessage());
                body.put("type", "error");
                body.put("error", error);
            }
            case OPENAI -> {
                Map<String, Object> error = new LinkedHashMap<>();
                error.put("message", e.getMessage());
                error.put("type", openAiType(e.status()));
                error.put("code", e.code());
                error.put("param", e.param());
                body.put("error", error);
            }
            case APP -> {
                body.put("code", e.status());
                body.put("msg", e.getMessage());
                body.put("data", null);
            }
            case PROBLEM -> {
                body.put("type", "https://apimodels.app/problems/" + e.code().replace('_', '-'));
                body.put("title", title(e.status()));
                body.put("status", e.status());
                body.put("detail", e.getMessage());
                if (e.param() != null) {
                    body.put("param", e.param());
                }
            }
        }
        return body;
    }

    private static String openAiType(int status) {
        return switch (status) {
            case 401 -> "authentication_error";
            case 402 -> "insufficient_quota";
            case 403 -> "permission_error";
            case 404 -> "not_found_error";
            case 409 -> "conflict_error";
            case 429 -> "rate_limit_error";
            default -> status >= 500 ? "api_error" : "invalid_request_error";
        };
    }

    /** Anthropic's error types (its API reference, "Errors"). */
    private static String anthropicType(int status) {
        return switch (status) {
            case 401 -> "authentication_error";
            case 402 -> "billing_error";
            case 403 -> "permission_error";
            case 404 -> "not_found_error";
            case 413 -> "request_too_large";
            case 429 -> "rate_limit_error";
            case 503 -> "overloaded_error";
            case 504 -> "timeout_error";
            default -> status >= 500 ? "api_error" : "invalid_request_error";
        };
    }

    /**
     * RFC 9457 title of a status (also the OpenAPI document's description of an error status, and
     * the quickstart's title for what its container answers by itself).
     */
    public static String title(int status) {
        return switch (status) {
            case 400 -> "Bad Request";
            case 401 -> "Unauthorized";
            case 402 -> "Payment Required";
            case 403 -> "Forbidden";
            case 404 -> "Not Found";
            case 405 -> "Method Not Allowed";
            case 408 -> "Request Timeout";
            case 409 -> "Conflict";
            case 411 -> "Length Required";
            case 413 -> "Content Too Large";
            case 414 -> "URI Too Long";
            case 415 -> "Unsupported Media Type";
            case 417 -> "Expectation Failed";
            case 423 -> "Locked";
            case 429 -> "Too Many Requests";
            case 431 -> "Request Header Fields Too Large";
            case 501 -> "Not Implemented";
            case 502 -> "Bad Gateway";
            case 503 -> "Service Unavailable";
            case 504 -> "Gateway Timeout";
            case 505 -> "HTTP Version Not Supported";
            default -> status >= 500 ? "Server Error" : "Error";
        };
    }
}
