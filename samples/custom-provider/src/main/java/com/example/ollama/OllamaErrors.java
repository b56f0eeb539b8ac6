package com.example.ollama;

import app.apimodels.spi.http.TransportException;
import app.apimodels.spi.provider.ProviderException;
import app.apimodels.spi.provider.ProviderException.Kind;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Ollama's failures as {@link ProviderException}s the engine can act on and show a client.
 * Ollama answers errors as {@code {"error": "message"}} with a meaningful HTTP status, and reports
 * a failure that happens after a stream started as an {@code {"error": …}} line inside the stream
 * (docs.ollama.com/api/errors). Only a client's own mistakes carry Ollama's words, scrubbed of
 * anything that looks like a key; the rest get fixed messages.
 */
final class OllamaErrors {

    /** Keys, bearer tokens and long token-like strings: nothing of the kind may reach a client. */
    private static final Pattern SECRETS = Pattern.compile(String.join("|",
            "(?i)\\bbearer\\s+\\S+",
            "\\bsk-[A-Za-z0-9_\\-*.]{6,}",
            "(?=[A-Za-z0-9+/_\\-]*\\d)(?=[A-Za-z0-9+/_\\-]*[A-Za-z])[A-Za-z0-9+/_\\-]{32,}={0,2}"));
    private static final int MAX_MESSAGE = 500;

    private final ObjectMapper mapper;
    private final Pattern apiKey;

    OllamaErrors(ObjectMapper mapper, String apiKey) {
        this.mapper = mapper;
        this.apiKey = apiKey == null || apiKey.isBlank() ? null : Pattern.compile(Pattern.quote(apiKey.strip()));
    }

    /** A non-2xx answer; {@code body} is Ollama's error document, if any. */
    ProviderException forStatus(int status, byte[] body) {
        return switch (status) {
            case 401, 403 -> new ProviderException(Kind.UPSTREAM_CONFIG, status, "the Ollama server refused the gateway's credentials", null, null);
            // The model name is the catalog's (not pulled on that server?), not the client's mistake.
            case 404 -> new ProviderException(Kind.UPSTREAM_CONFIG, status, "model or endpoint not found on the Ollama server (HTTP 404)", null, null);
            case 408 -> new ProviderException(Kind.TIMEOUT, status, "the Ollama server timed out (HTTP 408)", null, null);
            case 429 -> new ProviderException(Kind.RATE_LIMITED, status, "the Ollama server is rate limiting (HTTP 429)", null, null);
            default -> {
                if (status >= 500) {
                    yield new ProviderException(Kind.UPSTREAM_ERROR, status, "the Ollama server failed (HTTP " + status + ")", null, null);
                }
                if (status >= 400) {
                    String message = scrub(message(body));
                    yield new ProviderException(Kind.INVALID_REQUEST, status,
                            message == null ? "the Ollama server rejected the request (HTTP " + status + ")" : message, null, null);
                }
                yield new ProviderException(Kind.UPSTREAM_CONFIG, status, "unexpected answer from the Ollama server (HTTP " + status + ")", null, null);
            }
        };
    }

    /** An {@code {"error": …}} line inside a stream that had started well. */
    ProviderException midStream(JsonNode error) {
        String message = scrub(error.isTextual() ? error.asText() : null);
        return new ProviderException(Kind.UPSTREAM_ERROR, 0, message == null ? "the Ollama server failed mid-stream" : message, null, null);
    }

    ProviderException malformed(Throwable cause) {
        return new ProviderException(Kind.UPSTREAM_ERROR, "the Ollama server sent malformed JSON", cause);
    }

    /** The stream ended without its {@code "done": true} line. */
    ProviderException cut() {
        return new ProviderException(Kind.NETWORK, "the Ollama stream ended before it finished", null);
    }

    /** What the client asked for cannot be expressed in Ollama's API. */
    static ProviderException unsupported(String param, String message) {
        return new ProviderException(Kind.INVALID_REQUEST, 400, message, param, null);
    }

    /** A failure below HTTP, from the transport. */
    ProviderException forTransport(Throwable failure) {
        Throwable e = failure;
        while ((e instanceof CompletionException || e instanceof ExecutionException) && e.getCause() != null) {
            e = e.getCause();
        }
        if (e instanceof ProviderException provider) {
            return provider;
        }
        TransportException.Kind kind = e instanceof TransportException transport ? transport.kind() : TransportException.Kind.OTHER;
        return switch (kind) {
            case CONNECT -> new ProviderException(Kind.CONNECT, "could not connect to the Ollama server", e);
            case TIMEOUT -> new ProviderException(Kind.TIMEOUT, "the Ollama server did not answer in time", e);
            case RESET, OTHER -> new ProviderException(Kind.NETWORK, "the connection to the Ollama server failed", e);
        };
    }

    private String message(byte[] body) {
        try {
            JsonNode document = mapper.readTree(body);
            JsonNode error = document == null ? null : document.get("error");
            return error != null && error.isTextual() ? error.asText() : null;
        } catch (IOException e) {
            return null; // not JSON: nothing of it is shown
        }
    }

    private String scrub(String text) {
        if (text == null || text.isBlank()) {
            return null;
        }
        String scrubbed = apiKey == null ? text : apiKey.matcher(text).replaceAll("[redacted]");
        scrubbed = SECRETS.matcher(scrubbed).replaceAll(Matcher.quoteReplacement("[redacted]"));
        return scrubbed.length() <= MAX_MESSAGE ? scrubbed : scrubbed.substring(0, MAX_MESSAGE) + "…";
    }
}
