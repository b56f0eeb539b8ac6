package app.apimodels.core.calllog;

import app.apimodels.spi.provider.Usage;

/**
 * One API call, as logged: who, which key and model, which route, when, how long, the outcome,
 * what was used and what it cost. Never any prompt or output content.
 *
 * @param costMicros what the usage is worth at the model's price (what is actually collected
 *                   is decided by the ledger when it settles, see {@code CallLog})
 * @param estimated  true if the usage was counted by us because the upstream reported none
 */
public record CallRecord(String id, long accountId, Long keyId, String endpoint, String model, String provider,
                         String upstreamModel, boolean stream, int status, String error, long startedAt,
                         int latencyMs, int attempts, Usage usage, boolean estimated, long costMicros) {

    public CallRecord {
        usage = usage == null ? Usage.NONE : usage;
        // Text is cut to its column (and cleaned of what a database refuses) where it is stored.
    }
}
