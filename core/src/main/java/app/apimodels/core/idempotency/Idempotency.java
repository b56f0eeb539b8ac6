package app.apimodels.core.idempotency;

import app.apimodels.core.db.Sql;
import app.apimodels.core.failure.Failure;
import app.apimodels.spi.web.EventStream;
import app.apimodels.spi.web.Exchange;
import app.apimodels.spi.web.ForwardingExchange;
import app.apimodels.spi.web.Response;
import app.apimodels.core.web.Json;
import app.apimodels.core.web.Sse;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Map;

/**
 * Client {@code Idempotency-Key} on POST: the first request's result is stored and replayed for
 * retries with the same key, so a retried call is charged once. Reusing a key for a different
 * request, or while the first is still running, is a 409. Results that invite a retry (5xx, 402,
 * 429) are not kept, nor is a stream that did not end with {@code [DONE]} or Anthropic's
 * {@code message_stop} (cut or failed).
 * Every other answer ends the key, whatever its shape: a file answer (speech audio) is kept like
 * any body, and one too large to keep ({@value #MAX_STORED} bytes) makes a retry a 409 rather than
 * a second, charged, generation. Bodies are stored in base64, so binary answers replay exactly.
 */
public final class Idempotency {

    private static final int MAX_STORED = 4 * 1024 * 1024;

    private final Sql sql;
    private final Clock clock;
    private final Duration retention;

    public Idempotency(Sql sql, Clock clock, Duration retention) {
        this.sql = sql;
        this.clock = clock;
        this.retention = retention;
    }

    /**
     * Starts a keyed request: returns the exchange to serve it on (capturing its result), or
     * null after replaying a stored result on {@code exchange}.
     */
    public Exchange begin(Exchange exchange, long accountId, String key) {
        if (key.isBlank() || key.length() > 255) {
            throw Failure.invalid("Idempotency-Key", "Idempotency-Key must be 1 to 255 characters");
        }
        String hash = hash(exchange);
        try {
            sql.update("INSERT INTO apimodels_idempotency_record (account_id, idem_key, request_hash, state, created_at) VALUES (?, ?, ?, 'running', ?)",
                    accountId, key, hash, clock.millis());
            return new Capturing(exchange, accountId, key);
        } catch (RuntimeException e) {
            if (!Sql.isUniqueViolation(e)) {
                throw e;
            }
        }
        // body is null for an answer that was delivered but too large to keep
        record Stored(String hash, String state, Integer status, String contentType, String body, String headers) {
        }
        Stored s = sql.one("SELECT request_hash, state, status, content_type, body, headers FROM apimodels_idempotency_record WHERE account_id = ? AND idem_key = ?",
                rs -> new Stored(rs.getString(1), rs.getString(2), (Integer) rs.getObject(3), rs.getString(4), rs.getString(5), rs.getString(6)),
                accountId, key).orElseThrow(() -> new Failure(Failure.Reason.IDEMPOTENCY_CONFLICT,
                "a request with this Idempotency-Key just finished; retry", "Idempotency-Key"));
        if (!s.hash().equals(hash)) {
            throw new Failure(Failure.Reason.IDEMPOTENCY_CONFLICT,
                    "this Idempotency-Key was used for a different request", "Idempotency-Key");
        }
        if (!"done".equals(s.state())) {
            throw new Failure(Failure.Reason.IDEMPOTENCY_CONFLICT,
                    "a request with this Idempotency-Key is still in progress", "Idempotency-Key", Duration.ofSeconds(1));
        }
        if (s.body() == null) {
            throw new Failure(Failure.Reason.IDEMPOTENCY_CONFLICT, "the request with this Idempotency-Key was answered, "
                    + "but its answer is too large to keep for replay; send a new key to run it again", "Idempotency-Key");
        }
        Map<String, String> headers = new java.util.LinkedHashMap<>();
        if (s.headers() != null) {
            Json.object(s.headers().getBytes(StandardCharsets.UTF_8)).forEach((name, value) -> headers.put(name, String.valueOf(value)));
        }
        headers.put("Idempotent-Replayed", "true");
        exchange.respond(new Response(s.status(), s.contentType(), Base64.getDecoder().decode(s.body()), headers));
        return null;
    }

    /** Forgets keys older than the retention. */
    public int sweep() {
        return sql.update("DELETE FROM apimodels_idempotency_record WHERE created_at < ?", clock.millis() - retention.toMillis());
    }

    /** Whether an answer with this status ends the key (others invite a retry that must run again). */
    private static boolean endsTheKey(int status) {
        return status < 500 && status != 402 && status != 429 && status != 409;
    }

    /**
     * Records the answer for replay; {@code body} null (or over the limit) records that the request
     * was answered without keeping the answer.
     */
    private void finish(long accountId, String key, int status, String contentType, Map<String, String> headers, byte[] body) {
        if (!endsTheKey(status)) {
            forget(accountId, key);
            return;
        }
        String kept = body == null || body.length > MAX_STORED ? null : Base64.getEncoder().encodeToString(body);
        String keptHeaders = kept == null || headers.isEmpty() ? null : new String(Json.bytes(headers), StandardCharsets.UTF_8);
        if (keptHeaders != null && keptHeaders.length() > 4000) {
            keptHeaders = null; // the column's size; engine headers are a few short values
        }
        sql.update("UPDATE apimodels_idempotency_record SET state = 'done', status = ?, content_type = ?, body = ?, headers = ?"
                        + " WHERE account_id = ? AND idem_key = ?",
                status, contentType, kept, keptHeaders, accountId, key);
    }

    private void forget(long accountId, String key) {
        sql.update("DELETE FROM apimodels_idempotency_record WHERE account_id = ? AND idem_key = ?", accountId, key);
    }



    private static String hash(Exchange exchange) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            md.update((exchange.method() + " " + exchange.path() + "\n").getBytes(StandardCharsets.UTF_8));
            md.update(exchange.body());
            return HexFormat.of().formatHex(md.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Passes everything through and records the result when the exchange ends. */
    private final class Capturing extends ForwardingExchange {
        private final long accountId;
        private final String key;

        Capturing(Exchange inner, long accountId, String key) {
            super(inner);
            this.accountId = accountId;
            this.key = key;
        }

        @Override
        public void respond(Response response) {
            try {
                finish(accountId, key, response.status(), response.contentType(), response.headers(), response.body());
            } finally {
                inner().respond(response);
            }
        }

        /**
         * A file answer (speech audio, a generated file): read whole when small enough to keep, so a
         * retry replays it; a larger one is sent as it streams and only marks the key answered.
         * Either way a retry never generates (and charges) it again.
         */
        @Override
        public void respond(int status, String contentType, java.util.Map<String, String> headers,
                            java.io.InputStream body, long length) {
            if (!endsTheKey(status) || length < 0 || length > MAX_STORED) {
                try {
                    finish(accountId, key, status, contentType, Map.of(), null);
                } finally {
                    inner().respond(status, contentType, headers, body, length);
                }
                return;
            }
            byte[] bytes;
            try (body) {
                bytes = body.readNBytes((int) length);
            } catch (java.io.IOException e) {
                // Nothing was sent: the caller answers the failure, which forgets the key.
                throw new java.io.UncheckedIOException("the answer's body could not be read", e);
            }
            try {
                finish(accountId, key, status, contentType, headers == null ? Map.of() : headers, bytes);
            } finally {
                inner().respond(status, contentType, headers, new java.io.ByteArrayInputStream(bytes), bytes.length);
            }
        }

        @Override
        public EventStream openEventStream() {
            EventStream stream = inner().openEventStream();
            ByteArrayOutputStream copy = new ByteArrayOutputStream();
            return new EventStream() {
                private boolean closed;

                @Override
                public boolean send(byte[] bytes) {
                    if (bytes.length == 0 || bytes[0] != ':') {
                        copy.write(bytes, 0, bytes.length);
                    }
                    return stream.send(bytes);
                }

                @Override
                public void close() {
                    if (!closed) {
                        closed = true;
                        byte[] events = copy.toByteArray();
                        if (Sse.complete(events)) {
                            finish(accountId, key, 200, "text/event-stream", Map.of(), events);
                        } else {
                            // Cut or failed: a retry must run again, not replay half an answer.
                            forget(accountId, key);
                        }
                    }
                    stream.close();
                }

                @Override
                public void whenSent(Runnable next) {
                    stream.whenSent(next);
                }

                @Override
                public void onClientGone(Runnable action) {
                    stream.onClientGone(action);
                }
            };
        }
    }
}
