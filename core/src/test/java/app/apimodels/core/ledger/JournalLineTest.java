package app.apimodels.core.ledger;

import app.apimodels.core.calllog.CallRecord;
import app.apimodels.core.web.Json;
import app.apimodels.spi.provider.Usage;
import com.fasterxml.jackson.core.JsonGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** A journal line is written without a generator, byte for byte as the generator wrote it, and reads back. */
class JournalLineTest {

    private static final List<Hold> HOLDS = List.of(
            new Hold("3f2a0c1e-8d4b-4c1a-9e2f-0123456789ab", 42, 7L, 43, 44, 1_500_000, true, "lease-1"),
            new Hold(null, 1, null, 2, 3, 0, false, null));
    private static final List<CallRecord> RECORDS = List.of(
            new CallRecord("req_0123456789abcdef0123456789abcdef", 42, 7L, "chat", "gpt-4o", "openai", "gpt-4o-2024-08-06",
                    false, 200, null, 1_764_968_000_123L, 12, 1, Usage.tokens(11, 0, 5), false, 33),
            new CallRecord("req_2", 42, null, "audio/transcriptions", "caf\u00e9 \"m\"", "p\\1", "up\tstream\n", true, 502,
                    "upstream said: \u0000 \u20ac", 0, 0, 3, new Usage(1, 2, 3, 4, 12.345, 6, 7), true, -1),
            new CallRecord("req_3", Long.MAX_VALUE, Long.MIN_VALUE, "e", "m", "p", "u", false, 0, "", Long.MIN_VALUE,
                    Integer.MAX_VALUE, 0, new Usage(0, 0, 0, 0, 1e-7, 0, 0), false, Long.MAX_VALUE));

    @Test
    void aLineIsWhatTheGeneratorWroteAndReadsBack(@TempDir Path dir) throws IOException {
        for (Hold hold : HOLDS) {
            for (CallRecord record : RECORDS) {
                ByteBuffer line = Journal.line(hold, 1234, record);
                byte[] bytes = new byte[line.remaining()];
                line.get(bytes);
                assertThat(new String(bytes, java.nio.charset.StandardCharsets.UTF_8))
                        .isEqualTo(new String(generated(hold, 1234, record), java.nio.charset.StandardCharsets.UTF_8));
                assertThat(bytes).isEqualTo(generated(hold, 1234, record));
            }
        }
        Path dead = dir.resolve("dead");
        Journal journal = new Journal(dead);
        CallRecord emoji = new CallRecord("req_4", 1, null, "chat", "m \uD83D\uDE00", "p", "u", false, 200, null, 5, 6, 1,
                Usage.tokens(1, 0, 1), false, 9); // written as UTF-8, where the generator escaped the pair: reads back the same
        journal.append(HOLDS.get(0), 1234, RECORDS.get(1));
        journal.append(HOLDS.get(0), 1, emoji);
        journal.append(HOLDS.get(1), 5, RECORDS.get(0));
        try (var files = Files.list(dead)) {
            Path file = files.findFirst().orElseThrow();
            Files.copy(file, dir.resolve(file.getFileName())); // a copy no live journal locks
        }
        List<Journal.Entry> read = Journal.leftBehind(dir).entries();
        assertThat(read).containsExactly(new Journal.Entry(HOLDS.get(0), 1234, RECORDS.get(1)),
                new Journal.Entry(HOLDS.get(0), 1, emoji), new Journal.Entry(HOLDS.get(1), 5, RECORDS.get(0)));
        journal.close();
    }

    /** The line as Journal wrote it with Jackson's generator before (commit 551b9dd). */
    private static byte[] generated(Hold h, long cost, CallRecord r) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (JsonGenerator g = Json.MAPPER.getFactory().createGenerator(out)) {
            g.writeStartObject();
            g.writeStringField("hold", h.id());
            g.writeStringField("lease", h.leaseId());
            g.writeNumberField("account", h.accountId());
            g.writeFieldName("key");
            number(g, h.keyId());
            g.writeNumberField("wallet", h.walletId());
            g.writeNumberField("hold_account", h.holdAccountId());
            g.writeNumberField("amount", h.amount());
            g.writeBooleanField("key_limited", h.keyLimited());
            g.writeNumberField("cost", cost);
            g.writeArrayFieldStart("call");
            g.writeString(r.id());
            g.writeNumber(r.accountId());
            number(g, r.keyId());
            g.writeString(r.endpoint());
            g.writeString(r.model());
            g.writeString(r.provider());
            g.writeString(r.upstreamModel());
            g.writeBoolean(r.stream());
            g.writeNumber(r.status());
            g.writeString(r.error());
            g.writeNumber(r.startedAt());
            g.writeNumber(r.latencyMs());
            g.writeNumber(r.attempts());
            g.writeBoolean(r.estimated());
            g.writeNumber(r.costMicros());
            g.writeEndArray();
            Usage u = r.usage();
            g.writeArrayFieldStart("usage");
            g.writeNumber(u.inputTokens());
            g.writeNumber(u.cachedInputTokens());
            g.writeNumber(u.outputTokens());
            g.writeNumber(u.images());
            g.writeNumber(u.seconds());
            g.writeNumber(u.characters());
            g.writeNumber(u.cacheWriteTokens());
            g.writeEndArray();
            g.writeEndObject();
        }
        out.write('\n');
        return out.toByteArray();
    }

    private static void number(JsonGenerator g, Long value) throws IOException {
        if (value == null) {
            g.writeNull();
        } else {
            g.writeNumber(value);
        }
    }
}
