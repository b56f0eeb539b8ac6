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
     * {@code alreadyPosted} is what a budget lease posted call by call before it ends: the row must
     * still show exactly that (and the hold's amount), or the end changes nothing.
     * A hold carved from a lease posts {@code cost} from its lease, which stays open.
     */
    record End(Hold hold, long cost, boolean capAtHold, boolean voided, CallRecord record, long alreadyPosted,
               CompletableFuture<Void> future) implements Op {

        End(Hold hold, long cost, boolean capAtHold, boolean voided, CallRecord record, CompletableFuture<Void> future) {
            this(hold, cost, capAtHold, voided, record, 0, future);
        }
    }

    /** Give {@code amount} of an open budget lease back to its wallet; the lease stays open. */
    record Shrink(Hold lease, long amount, String transferId, CompletableFuture<Void> future) implements Op {
    }

    /** Write a call-log row that moves no money. */
    record Log(CallRecord record, CompletableFuture<Void> future) implements Op {
    }

    /** Completes when everything queued before it is committed. */
    record Barrier(CompletableFuture<Void> future) implements Op {
    }
}
