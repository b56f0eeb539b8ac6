package app.apimodels.core.ledger;

import app.apimodels.core.calllog.CallRecord;

import java.util.concurrent.CompletableFuture;

/** Work queued for the {@link LedgerWriter}; each completes its future after its batch commits. */
sealed interface Op {

    CompletableFuture<?> future();

    /** Reserve {@code hold.amount()} from the wallet (and the key's limit). */
    record Reserve(Hold hold, long expiresAt, CompletableFuture<Hold> future) implements Op {
    }

    /** How an {@link End} ends its hold. */
    enum How {
        /** The call finished: post its cost, at most the hold, and release the rest. */
        SETTLE,
        /** The call failed: post nothing, release the hold. */
        VOID,
        /** A budget lease ends: what it did not post call by call goes back. */
        CLOSE,
        /** The sweeper ends a hold past its expiry (its node crashed or the call hung): like a void. */
        EXPIRE
    }

    /**
     * End a hold exactly once: post {@code cost} (never more than the hold) and release the rest.
     * {@code alreadyPosted} is what a budget lease posted call by call before it ends: the row must
     * still show exactly that (and the hold's amount), or the end changes nothing.
     * A hold carved from a lease posts {@code cost} from its lease, which stays open.
     */
    record End(Hold hold, long cost, How how, CallRecord record, long alreadyPosted, CompletableFuture<Void> future) implements Op {

        End(Hold hold, long cost, How how, CallRecord record, CompletableFuture<Void> future) {
            this(hold, cost, how, record, 0, future);
        }

        boolean charges() {
            return how == How.SETTLE;
        }

        /** The same end without its call-log row: the money must move even if the row cannot be stored. */
        End withoutRecord() {
            return new End(hold, cost, how, null, alreadyPosted, future);
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
