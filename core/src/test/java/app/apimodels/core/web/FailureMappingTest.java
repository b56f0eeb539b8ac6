package app.apimodels.core.web;

import app.apimodels.core.catalog.ModelAccess;
import app.apimodels.core.failure.Failure;
import app.apimodels.core.failure.Failure.Reason;
import app.apimodels.core.ledger.InsufficientCreditsException;
import app.apimodels.core.media.MediaException;
import app.apimodels.core.relay.Upstream;
import app.apimodels.spi.provider.ProviderException;
import app.apimodels.spi.web.Response;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.time.Duration;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionException;

import static org.assertj.core.api.Assertions.assertThat;

/** Every failure reason, in each of the three error shapes, as clients have always been answered. */
class FailureMappingTest {

    record Wire(int status, String code, String openAiType, String title) {
    }

    /** Written out, not derived: a change to what clients see must change this table. */
    private static final Map<Reason, Wire> WIRE = new EnumMap<>(Map.ofEntries(
            Map.entry(Reason.INVALID, new Wire(400, "invalid_request", "invalid_request_error", "Bad Request")),
            Map.entry(Reason.UNAUTHENTICATED, new Wire(401, "invalid_api_key", "authentication_error", "Unauthorized")),
            Map.entry(Reason.INVALID_CREDENTIALS, new Wire(401, "invalid_credentials", "authentication_error", "Unauthorized")),
            Map.entry(Reason.EMAIL_NOT_VERIFIED, new Wire(403, "email_not_verified", "permission_error", "Forbidden")),
            Map.entry(Reason.SIGNUP_CLOSED, new Wire(403, "signup_closed", "permission_error", "Forbidden")),
            Map.entry(Reason.CSRF_REJECTED, new Wire(403, "csrf_rejected", "permission_error", "Forbidden")),
            Map.entry(Reason.POLICY_NOT_ACCEPTED, new Wire(403, "policy_not_accepted", "permission_error", "Forbidden")),
            Map.entry(Reason.ACCOUNT_LOCKED, new Wire(423, "account_locked", "invalid_request_error", "Locked")),
            Map.entry(Reason.INSUFFICIENT_CREDITS, new Wire(402, "insufficient_credits", "insufficient_quota", "Payment Required")),
            Map.entry(Reason.MODEL_NOT_ALLOWED, new Wire(403, "model_not_allowed", "permission_error", "Forbidden")),
            Map.entry(Reason.ACCOUNT_RESTRICTED, new Wire(403, "account_restricted", "permission_error", "Forbidden")),
            Map.entry(Reason.NOT_FOUND, new Wire(404, "not_found", "not_found_error", "Not Found")),
            Map.entry(Reason.MODEL_NOT_FOUND, new Wire(404, "model_not_found", "not_found_error", "Not Found")),
            Map.entry(Reason.EMAIL_TAKEN, new Wire(409, "email_taken", "conflict_error", "Conflict")),
            Map.entry(Reason.PROVIDER_IN_USE, new Wire(409, "provider_in_use", "conflict_error", "Conflict")),
            Map.entry(Reason.IDEMPOTENCY_CONFLICT, new Wire(409, "idempotency_conflict", "conflict_error", "Conflict")),
            Map.entry(Reason.TOO_LARGE, new Wire(413, "file_too_large", "invalid_request_error", "Content Too Large")),
            Map.entry(Reason.UNSUPPORTED_MEDIA_TYPE, new Wire(415, "unsupported_media_type", "invalid_request_error",
                    "Unsupported Media Type")),
            Map.entry(Reason.RATE_LIMITED, new Wire(429, "rate_limited", "rate_limit_error", "Too Many Requests")),
            Map.entry(Reason.UPSTREAM_RATE_LIMITED, new Wire(429, "upstream_rate_limited", "rate_limit_error", "Too Many Requests")),
            Map.entry(Reason.INTERNAL, new Wire(500, "internal_error", "api_error", "Server Error")),
            Map.entry(Reason.UPSTREAM_FAILED, new Wire(502, "upstream_error", "api_error", "Bad Gateway")),
            Map.entry(Reason.STORAGE_UNAVAILABLE, new Wire(503, "storage_unavailable", "api_error", "Service Unavailable")),
            Map.entry(Reason.UNAVAILABLE, new Wire(503, "unavailable", "api_error", "Service Unavailable")),
            Map.entry(Reason.SHUTTING_DOWN, new Wire(503, "shutting_down", "api_error", "Service Unavailable")),
            Map.entry(Reason.UPSTREAM_TIMEOUT, new Wire(504, "upstream_timeout", "api_error", "Gateway Timeout"))));

    @ParameterizedTest
    @EnumSource(Reason.class)
    void openAiShape(Reason reason) throws IOException {
        Wire wire = WIRE.get(reason);
        Response r = ErrorRenderer.render("/v1/chat/completions", new Failure(reason, "what went wrong", "model"));
        assertThat(r.status()).isEqualTo(wire.status());
        assertThat(r.contentType()).isEqualTo("application/json");
        Map<String, Object> body = parse(r);
        assertThat(body).containsOnlyKeys("error");
        assertThat(body.get("error")).isEqualTo(ordered("message", "what went wrong", "type", wire.openAiType(),
                "code", wire.code(), "param", "model"));
        assertThat(new String(r.body())).startsWith("{\"error\":{\"message\":");
    }

    @ParameterizedTest
    @EnumSource(Reason.class)
    void anthropicShape(Reason reason) throws IOException {
        Wire wire = WIRE.get(reason);
        for (String path : List.of("/v1/messages", "/v1/messages/count_tokens")) {
            Response r = ErrorRenderer.render(path, new Failure(reason, "what went wrong", "model"));
            assertThat(r.status()).isEqualTo(wire.status());
            assertThat(r.contentType()).isEqualTo("application/json");
            String type = switch (wire.status()) {
                case 400, 409, 415, 423 -> "invalid_request_error";
                case 401 -> "authentication_error";
                case 402 -> "billing_error";
                case 403 -> "permission_error";
                case 404 -> "not_found_error";
                case 413 -> "request_too_large";
                case 429 -> "rate_limit_error";
                case 503 -> "overloaded_error";
                case 504 -> "timeout_error";
                default -> "api_error";
            };
            assertThat(new String(r.body())).isEqualTo("{\"type\":\"error\",\"error\":{\"type\":\"" + type
                    + "\",\"message\":\"what went wrong\"}}");
        }
    }

    @ParameterizedTest
    @EnumSource(Reason.class)
    void apimodelsAppShape(Reason reason) throws IOException {
        Wire wire = WIRE.get(reason);
        for (String path : List.of("/api/v1/images/generations", "/api/v1/uploads")) {
            Response r = ErrorRenderer.render(path, new Failure(reason, "what went wrong", "prompt"));
            assertThat(r.status()).isEqualTo(wire.status());
            assertThat(r.contentType()).isEqualTo("application/json");
            assertThat(new String(r.body())).isEqualTo("{\"code\":" + wire.status() + ",\"msg\":\"what went wrong\",\"data\":null}");
        }
    }

    @ParameterizedTest
    @EnumSource(Reason.class)
    void problemDetailsShape(Reason reason) throws IOException {
        Wire wire = WIRE.get(reason);
        Response r = ErrorRenderer.render("/account/keys", new Failure(reason, "what went wrong", "name"));
        assertThat(r.status()).isEqualTo(wire.status());
        assertThat(r.contentType()).isEqualTo("application/problem+json");
        assertThat(parse(r)).isEqualTo(ordered("type", "https://apimodels.app/problems/" + wire.code().replace('_', '-'),
                "title", wire.title(), "status", (long) wire.status(), "detail", "what went wrong", "param", "name"));

        Response noField = ErrorRenderer.render("/account/keys", new Failure(reason, "what went wrong"));
        assertThat(parse(noField)).doesNotContainKey("param");
    }

    @ParameterizedTest
    @EnumSource(Reason.class)
    void headers(Reason reason) {
        Map<String, String> plain = FailureMapping.toApi(new Failure(reason, "m")).headers();
        Map<String, String> retry = FailureMapping.toApi(new Failure(reason, "m", null, Duration.ofSeconds(5))).headers();
        if (reason == Reason.UNAUTHENTICATED) {
            assertThat(plain).containsExactly(Map.entry("WWW-Authenticate", "Bearer"));
        } else {
            assertThat(plain).isEmpty();
        }
        assertThat(retry).containsEntry("Retry-After", "5");
        // A wait of 4.001 s is said as 5: a client told 4 would be refused again.
        assertThat(FailureMapping.toApi(new Failure(reason, "m", null, Duration.ofMillis(4_001))).headers())
                .containsEntry("Retry-After", "5");
    }

    @Test
    void upstreamFailuresAsClientsSeeThem() {
        ProviderException invalid = new ProviderException(ProviderException.Kind.INVALID_REQUEST, 400, "temperature too high",
                "temperature", null);
        Failure f = Upstream.failure(invalid);
        assertThat(f.reason()).isEqualTo(Reason.INVALID);
        assertThat(f.param()).isEqualTo("temperature");
        assertThat(f.getMessage()).isEqualTo("upstream rejected the request: temperature too high");

        Failure limited = Upstream.failure(new ProviderException(ProviderException.Kind.RATE_LIMITED, "slow down", null));
        assertThat(FailureMapping.toApi(limited).headers()).containsEntry("Retry-After", "1");
        assertThat(FailureMapping.status(limited.reason())).isEqualTo(429);

        assertThat(FailureMapping.status(Upstream.failure(new ProviderException(ProviderException.Kind.TIMEOUT, "t", null)).reason()))
                .isEqualTo(504);
        Failure failed = Upstream.failure(new ProviderException(ProviderException.Kind.UPSTREAM_ERROR, "boom", null));
        assertThat(FailureMapping.status(failed.reason())).isEqualTo(502);
        assertThat(failed.getMessage()).isEqualTo("the upstream failed: boom");

        assertThat(Upstream.cause(new CompletionException(new IllegalStateException("x"))).kind())
                .isEqualTo(ProviderException.Kind.NETWORK);
    }

    @Test
    void aRefusedHoldIsA402OnlyWhenMoneyIsShort() {
        Failure wallet = ModelAccess.holdRefused(new CompletionException(new InsufficientCreditsException(false)), 1234, "task");
        assertThat(wallet.reason()).isEqualTo(Reason.INSUFFICIENT_CREDITS);
        assertThat(wallet.getMessage()).isEqualTo("insufficient credits for this request; this task may cost up to 1234 micro-credits");
        Failure limit = ModelAccess.holdRefused(new InsufficientCreditsException(true), 1234, "request");
        assertThat(limit.getMessage()).isEqualTo("this API key's spend limit is reached");
        Failure down = ModelAccess.holdRefused(new CompletionException(new IllegalStateException("pool closed")), 1, "request");
        assertThat(FailureMapping.toApi(down).status()).isEqualTo(503);
        assertThat(FailureMapping.toApi(down).headers()).containsEntry("Retry-After", "1");
        assertThat(down.getMessage()).doesNotContain("pool");
    }

    @Test
    void mediaFailuresNameTheField() {
        var tooLarge = FailureMapping.toApi(new MediaException(MediaException.Reason.TOO_LARGE, "image files may be at most 9 bytes", null)
                .at("image_url"));
        assertThat(List.of(tooLarge.status(), tooLarge.code(), tooLarge.param())).containsExactly(413, "file_too_large", "image_url");
        var type = FailureMapping.toApi(new MediaException(MediaException.Reason.UNSUPPORTED_MEDIA_TYPE, "the file is text/plain", null)
                .at("file"));
        assertThat(List.of(type.status(), type.code(), type.param())).containsExactly(415, "unsupported_media_type", "file");
        var storage = FailureMapping.toApi(new MediaException(MediaException.Reason.STORAGE_UNAVAILABLE, "retry", null).at("file"));
        assertThat(storage.status()).isEqualTo(503);
        assertThat(storage.param()).isNull();
        assertThat(storage.headers()).containsEntry("Retry-After", "5");
        var unreadable = FailureMapping.toApi(new MediaException(MediaException.Reason.UNREADABLE, "cut short", null).at("url"));
        assertThat(List.of(unreadable.status(), unreadable.getMessage(), unreadable.param())).containsExactly(400, "url: cut short", "url");
    }

    private static Map<String, Object> parse(Response r) throws IOException {
        return Json.MAPPER.readValue(r.body(), new com.fasterxml.jackson.core.type.TypeReference<>() {
        });
    }

    private static Map<String, Object> ordered(Object... kv) {
        Map<String, Object> m = new java.util.LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], kv[i + 1]);
        }
        return m;
    }
}
