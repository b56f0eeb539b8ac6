package app.apimodels.core.ledger;

import app.apimodels.core.calllog.CallRecord;

import java.util.concurrent.CompletableFuture;

/** Work queued for the {@link LedgerWriter}; each completes its future after its batch commits. */
sealed interface Op {

    CompletableFuture<?> future();

    /** Reserve {@code hold.amount()} from the wallet (and the key's limit). */
    record Reserve(Hold hold, long expiresAt, CompletableFuture<Hold> future) implements Op {
    }

    /**
     * End a hold: post {@code cost} (all of it when not capped: the excess is taken from the wallet
     * as far as it goes) and release the rest; {@code cost} 0 with {@code voided} true is a void.
     */
    record End(Hold hold, long cost, boolean capAtHold, boolean voided, CallRecord record,
               CompletableFuture<Void> future) implements Op {
    }

    /** Write a call-log row that moves no money. */
    record Log(CallRecord record, CompletableFuture<Void> future) implements Op {
    }

    /** Completes when everything queued before it is committed. */
    record Barrier(CompletableFuture<Void> future) implements Op {
    }
}
