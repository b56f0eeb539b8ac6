package app.apimodels.core.limits;

import app.apimodels.core.auth.Caller;
import app.apimodels.core.db.Sql;
import app.apimodels.core.failure.Failure;
import app.apimodels.core.metrics.Metrics;

import app.apimodels.spi.web.Exchange;

import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.IntSupplier;

/**
 * Abuse limits: requests per minute, tokens per minute and concurrent calls, per API key, per
 * account and per client address. Every request with a key is counted by {@link #request} (on its
 * headers, before its body is read); every model call asks {@link #call} too, and ends its
 * {@link Permit} when it is over.
 * <p>
 * Counting is in memory on each node (no database round trip per call): each node enforces its
 * share of every limit, the limit divided by the live {@link Nodes} and rounded up. The limits
 * themselves come from the configuration (defaults per scope) and from what an admin set per
 * account or key, read through {@link LimitStore}'s cache.
 * <p>
 * Tokens per minute: a call reserves its worst case at admission (the prompt's upper bound plus
 * its output cap, at most a minute's worth) and the reservation is corrected to what the call
 * really used when it ends, so a call that used less gives the difference back at once.
 */
public final class AbuseLimits {

    /** The configured limits of each scope, used where an admin set nothing. */
    public record Defaults(Limit key, Limit account, Limit ip) {
    }

    /** Who makes a call: the account, the key (null for a session) and the client's address. */
    public record Subject(long accountId, Long keyId, String address) {
    }

    /** What an admin set for an account or key, and what is in force for it (cluster-wide). */
    public record View(AdminLimit set, Limit effective) {
    }

    /** The scopes in the order every call is counted: key, account, address (the indexes below). */
    private static final Scope[] ORDER = {Scope.KEY, Scope.ACCOUNT, Scope.IP};

    private final LimitStore store;
    private final ClientAddress addresses;
    private final Defaults defaults;
    private final Clock clock;
    private final IntSupplier nodes;
    private final Metrics metrics;
    private final Map<Long, Meter> keys = new ConcurrentHashMap<>();
    private final Map<Long, Meter> accounts = new ConcurrentHashMap<>();
    private final Map<String, Meter> clients = new ConcurrentHashMap<>();

    /**
     * @param cacheTtl how long an admin's change may take to reach other nodes
     * @param nodes    the live nodes sharing the limits (1: this node enforces them whole)
     */
    public AbuseLimits(Sql sql, Clock clock, Duration cacheTtl, Defaults defaults, ClientAddress addresses, IntSupplier nodes,
                       Metrics metrics) {
        this.metrics = metrics;
        this.store = new LimitStore(sql, clock, cacheTtl);
        this.addresses = addresses;
        this.defaults = defaults;
        this.clock = clock;
        this.nodes = nodes;
    }

    /** {@link #request(Subject)} for an authenticated caller of {@code exchange}. */
    public void request(Caller caller, Exchange exchange) {
        request(subject(caller, exchange));
    }

    /** {@link #call(Subject, long)} for an authenticated caller of {@code exchange}. */
    public Permit call(Caller caller, Exchange exchange, long worstTokens) {
        return call(subject(caller, exchange), worstTokens);
    }

    private Subject subject(Caller caller, Exchange exchange) {
        return new Subject(caller.accountId(), caller.key().recordedId(), addresses.of(exchange));
    }

    /**
     * Counts one request against the requests per minute of the caller's key, account and address,
     * or throws a {@link Failure.Reason#RATE_LIMITED} failure naming the limit, with how long to wait.
     */
    public void request(Subject who) {
        Limit[] limits = limits(who);
        Meter[] counted = new Meter[3];
        int n = 0;
        try {
            long now = clock.millis();
            for (int i = 0; i < 3; i++) {
                if (limits[i].requestsPerMinute() > 0) {
                    Limit limit = limits[i];
                    Meter m = meter(i, who, (meter, ignored) -> meter.request(limit, now), null);
                    counted[n++] = m;
                }
            }
        } catch (Failure refused) {
            for (int i = 0; i < n; i++) {
                counted[i].undoRequest();
            }
            throw refused;
        }
    }

    /**
     * Admits a model call that may use up to {@code worstTokens} tokens under the tokens per minute
     * and concurrent calls of the caller's key, account and address, or throws a
     * {@link Failure.Reason#RATE_LIMITED} failure. The permit must be ended when the call is over.
     */
    public Permit call(Subject who, long worstTokens) {
        Limit[] limits = limits(who);
        Meter[] meters = new Meter[3];
        long[] reserved = new long[3];
        int n = 0;
        try {
            long now = clock.millis();
            for (int i = 0; i < 3; i++) {
                if (limits[i].tokensPerMinute() > 0 || limits[i].concurrentCalls() > 0) {
                    Limit limit = limits[i];
                    int slot = n;
                    Meter m = meter(i, who, (meter, r) -> meter.call(limit, worstTokens, now, r, slot), reserved);
                    meters[n++] = m;
                }
            }
        } catch (Failure refused) {
            for (int i = 0; i < n; i++) {
                meters[i].undoCall(reserved[i]);
            }
            throw refused;
        }
        if (n == 0) {
            return Permit.NONE;
        }
        return new Permit(java.util.Arrays.copyOf(meters, n), java.util.Arrays.copyOf(reserved, n));
    }

    /** The limits in force on this node for the key, the account and the address, in that order. */
    private Limit[] limits(Subject who) {
        int share = nodes.getAsInt();
        return new Limit[] {
                who.keyId() == null ? Limit.UNLIMITED : store.cached(Scope.KEY, who.keyId()).over(defaults.key()).perNode(share),
                store.cached(Scope.ACCOUNT, who.accountId()).over(defaults.account()).perNode(share),
                who.address() == null ? Limit.UNLIMITED : defaults.ip().perNode(share)};
    }

    /** One counting step on a meter: null if counted, else why not. */
    private interface Count {
        Meter.Refusal on(Meter meter, long[] reserved);
    }

    /** Counts on the meter of scope {@code i} (key, account, address), retrying on a fresh one if it was just retired. */
    private Meter meter(int i, Subject who, Count count, long[] reserved) {
        while (true) {
            Meter meter = switch (i) {
                case 0 -> keys.computeIfAbsent(who.keyId(), k -> new Meter());
                case 1 -> accounts.computeIfAbsent(who.accountId(), k -> new Meter());
                default -> clients.computeIfAbsent(who.address(), k -> new Meter());
            };
            Meter.Refusal refusal = count.on(meter, reserved);
            if (refusal == null) {
                return meter;
            }
            if (refusal == Meter.RETIRED) {
                // Swept a moment ago: take a fresh one.
                switch (i) {
                    case 0 -> keys.remove(who.keyId(), meter);
                    case 1 -> accounts.remove(who.accountId(), meter);
                    default -> clients.remove(who.address(), meter);
                }
                continue;
            }
            Scope scope = ORDER[i];
            metrics.limited(scope.dbValue(), refusal.metric());
            long seconds = Math.max(1, (refusal.waitMillis() + 999) / 1000);
            throw new Failure(Failure.Reason.RATE_LIMITED, "rate limit reached: " + refusal.limit() + " of this " + scope.noun()
                    + "; retry in " + seconds + " s", null, Duration.ofSeconds(seconds));
        }
    }

    /** The running calls every meter counts, summed over keys, accounts and addresses: 0 when nothing leaked. */
    public long counted() {
        long sum = 0;
        for (Map<?, Meter> m : java.util.List.of(keys, accounts, clients)) {
            for (Meter meter : m.values()) {
                sum += meter.running();
            }
        }
        return sum;
    }

    /** Forgets the meters that hold nothing (no running call, buckets full), so idle clients cost no memory. */
    public void sweep() {
        long now = clock.millis();
        keys.values().removeIf(m -> m.retireIfIdle(now));
        accounts.values().removeIf(m -> m.retireIfIdle(now));
        clients.values().removeIf(m -> m.retireIfIdle(now));
    }

    /** What an admin set for the account or key, read now, and what is in force. */
    public View view(Scope scope, long id) {
        AdminLimit set = store.load(scope, id);
        return new View(set, set.over(scope == Scope.KEY ? defaults.key() : defaults.account()));
    }

    /** Sets an account's or key's limits (null fields: the configured default); in force on this node at once. */
    public View set(Scope scope, long id, AdminLimit limit) {
        store.put(scope, id, limit);
        return view(scope, id);
    }
}
