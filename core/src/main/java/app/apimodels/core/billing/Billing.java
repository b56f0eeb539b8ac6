package app.apimodels.core.billing;

import app.apimodels.core.config.ConfigException;
import app.apimodels.core.config.Keys;
import app.apimodels.core.config.Settings;
import app.apimodels.core.db.Sql;
import app.apimodels.core.failure.Failure;
import app.apimodels.core.ledger.Ledger;
import app.apimodels.core.ledger.Transfer;
import app.apimodels.core.mail.Letter;
import app.apimodels.core.mail.Outbox;
import app.apimodels.core.metrics.Metrics;
import app.apimodels.spi.payment.Checkout;
import app.apimodels.spi.payment.CheckoutRequest;
import app.apimodels.spi.payment.Money;
import app.apimodels.spi.payment.PaymentEvent;
import app.apimodels.spi.payment.PaymentException;
import app.apimodels.spi.payment.PaymentGateway;
import app.apimodels.spi.payment.RefundRequest;
import app.apimodels.spi.payment.RefundResult;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.RoundingMode;
import java.net.URI;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Credit purchases: checkout, the orders, and what the gateways report about them. Every verified
 * event is applied by {@link #receive} in one transaction — the event's unique id recorded, the
 * order's state changed, the ledger moved — so a second or concurrent delivery of an event, or a
 * second event paying the same order, changes nothing:
 * <ul>
 * <li>the order row is locked first, so events about one order are applied one after another;</li>
 * <li>an event id already recorded for the gateway is a duplicate (the unique (gateway, event_id)
 *     catches a concurrent one for an unknown order);</li>
 * <li>an order is credited once: its credit's transfer id is made from the order id.</li>
 * </ul>
 * Refunds and disputes claw back in proportion to the order's amount (into debt when spent, see
 * {@link Ledger#clawBack}); one reported before the payment is recorded and applied once it is paid.
 * An event about an order we do not have is recorded ({@code unknown_order}), alerted and
 * acknowledged, so the gateway stops delivering it: it credits nothing.
 */
public final class Billing {

    /** The system ledger account payments are credited from and claw-backs return to. */
    public static final String PAYMENTS = "payments";

    private static final System.Logger LOG = System.getLogger(Billing.class.getName());
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final long MICROS_PER_CENT = 10_000;

    /** What one event did. */
    public enum Outcome {
        CREDITED, CLAWED_BACK, GIVEN_BACK, UNCHANGED, DEFERRED, CLOSED, DUPLICATE, DUPLICATE_PAYMENT, MISMATCH,
        UNKNOWN_ORDER, IGNORED;

        public String wire() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /** A checkout started: the order and where its payer goes. */
    public record Started(Order order, Checkout checkout) {
    }

    /** An event as recorded. */
    public record EventRecord(long id, String gateway, String eventId, String orderId, String kind, long amountMinor,
                              String currency, boolean cumulative, String outcome, String detail, Long occurredAt,
                              long receivedAt) {
        static EventRecord map(ResultSet rs) throws SQLException {
            return new EventRecord(rs.getLong("id"), rs.getString("gateway"), rs.getString("event_id"), rs.getString("order_id"),
                    rs.getString("kind"), rs.getLong("amount_minor"), rs.getString("currency"), rs.getBoolean("cumulative"),
                    rs.getString("outcome"), rs.getString("detail"), Sql.nullableLong(rs, "occurred_at"), rs.getLong("received_at"));
        }
    }

    /** Filters of the admin's order search; nulls match everything. */
    public record Query(Long accountId, String state, String gateway, Long from, Long to, boolean review, int limit) {
    }

    private final Sql sql;
    private final Clock clock;
    private final Ledger ledger;
    private final Gateways gateways;
    private final Metrics metrics;
    private final Outbox outbox;
    private final Map<String, Long> packages;
    private final long minMicros;
    private final long maxMicros;
    private final BigDecimal cnyPerUsd;
    private final Duration expiry;
    private final URI publicUrl;

    /** @param outbox where the receipt of a paid order is queued, in the crediting transaction */
    public Billing(Sql sql, Clock clock, Ledger ledger, Gateways gateways, Metrics metrics, Outbox outbox, Settings settings) {
        this.sql = sql;
        this.outbox = outbox;
        this.clock = clock;
        this.ledger = ledger;
        this.gateways = gateways;
        this.metrics = metrics;
        this.packages = settings.find(Keys.BILLING_PACKAGES).orElse(Map.of());
        this.minMicros = settings.get(Keys.BILLING_MIN_AMOUNT);
        this.maxMicros = settings.get(Keys.BILLING_MAX_AMOUNT);
        this.cnyPerUsd = settings.find(Keys.BILLING_CNY_PER_USD).orElse(null);
        this.expiry = settings.get(Keys.BILLING_ORDER_EXPIRY);
        this.publicUrl = settings.find(Keys.PUBLIC_URL).orElse(null);
        if (minMicros > maxMicros) {
            throw new ConfigException(Keys.BILLING_MIN_AMOUNT.key() + " must not be above " + Keys.BILLING_MAX_AMOUNT.key());
        }
        if (gateways.chargesCny() && cnyPerUsd == null) {
            throw new ConfigException(Keys.BILLING_CNY_PER_USD.key() + " is required when a gateway charges in CNY (alipay)");
        }
    }

    public Gateways gateways() {
        return gateways;
    }

    /** The credit packages a checkout may name ({@code apimodels.billing.packages}), in their configured order. */
    public Map<String, Long> packages() {
        return packages;
    }

    public Duration expiry() {
        return expiry;
    }

    // ---- checkout and orders ---------------------------------------------------------------------

    /**
     * Creates an order for {@code amountMicros} or the package named, and the gateway's checkout for
     * it. {@code baseUrl} is where the request came to, used for the return and notify URLs when
     * {@code apimodels.public-url} is not set.
     */
    public Started checkout(long accountId, Long amountMicros, String packageName, String method,
                            CheckoutRequest.Presentation presentation, String baseUrl) {
        if ((amountMicros == null) == (packageName == null)) {
            throw Failure.invalid("amount_micros", "send either amount_micros or package");
        }
        PaymentGateway gateway = gateways.method(method);
        long micros;
        if (packageName != null) {
            Long p = packages.get(packageName);
            if (p == null) {
                throw Failure.invalid("package", packages.isEmpty() ? "no packages are offered; send amount_micros"
                        : "package must be one of " + String.join(", ", packages.keySet()));
            }
            micros = p;
        } else {
            micros = amountMicros;
            if (micros < minMicros || micros > maxMicros) {
                throw Failure.invalid("amount_micros", "amount_micros must be between " + minMicros + " and " + maxMicros);
            }
        }
        String field = packageName != null ? "package" : "amount_micros";
        String currency = Gateways.currency(method);
        long now = clock.millis();
        long minor;
        String rate = null;
        Long rateAt = null;
        if (currency.equals("CNY")) {
            minor = BigDecimal.valueOf(micros).multiply(cnyPerUsd).divide(BigDecimal.valueOf(MICROS_PER_CENT), 0, RoundingMode.HALF_UP)
                    .longValueExact();
            rate = cnyPerUsd.toPlainString();
            rateAt = now;
        } else {
            if (micros % MICROS_PER_CENT != 0) {
                throw Failure.invalid(field, field + " must be whole cents (a multiple of 10000 micros)");
            }
            minor = micros / MICROS_PER_CENT;
        }
        if (minor < 1) {
            throw Failure.invalid(field, field + " is less than the smallest amount " + method + " can charge");
        }
        String id = newOrderId();
        long expiresAt = now + expiry.toMillis();
        String finalRate = rate;
        Long finalRateAt = rateAt;
        sql.tx(c -> Sql.update(c, """
                        INSERT INTO apimodels_order (id, account_id, gateway, package, amount_micros, currency, amount_minor, rate, rate_at,
                                                     state, created_at, expires_at, updated_at)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?)""",
                id, accountId, method, packageName, micros, currency, minor, finalRate, finalRateAt, now, expiresAt, now));
        String base = (publicUrl != null ? publicUrl.toString() : baseUrl).replaceAll("/+$", "");
        String email = sql.one("SELECT email FROM apimodels_account WHERE id = ?", rs -> rs.getString(1), accountId).orElse(null);
        Checkout checkout;
        try {
            checkout = gateway.createCheckout(new CheckoutRequest(id, new Money(minor, currency), credits(micros) + " credits", email,
                    presentation, URI.create(base + "/console/billing?order=" + id),
                    URI.create(base + "/console/billing?order=" + id + "&cancelled=true"), URI.create(base + "/webhooks/" + method),
                    Instant.ofEpochMilli(expiresAt), "checkout-" + id));
        } catch (PaymentException | IllegalArgumentException e) {
            LOG.log(System.Logger.Level.WARNING, "payment gateway " + method + " could not create a checkout for order " + id + ": " + e.getMessage());
            sql.update("UPDATE apimodels_order SET state = 'failed', updated_at = ? WHERE id = ? AND state = 'pending'", clock.millis(), id);
            throw new Failure(Failure.Reason.UPSTREAM_FAILED, "the payment gateway could not start a checkout; try again shortly");
        }
        sql.update("UPDATE apimodels_order SET gateway_order_id = ? WHERE id = ?", checkout.gatewayOrderId(), id);
        return new Started(get(id), checkout);
    }

    private static String newOrderId() {
        byte[] b = new byte[15];
        RANDOM.nextBytes(b);
        return "ord_" + new BigInteger(1, b).toString(36);
    }

    /** {@code 12.5} for 12,500,000 micros. */
    static String credits(long micros) {
        return BigDecimal.valueOf(micros, 6).stripTrailingZeros().toPlainString();
    }

    /** The account's orders, newest first. */
    public List<Order> orders(long accountId, int limit) {
        return sql.list("SELECT * FROM apimodels_order WHERE account_id = ? ORDER BY created_at DESC, id DESC LIMIT ?",
                Order::map, accountId, limit);
    }

    /** One of the account's orders; 404 if there is none by that id or it is another account's. */
    public Order order(long accountId, String id) {
        return find(id).filter(o -> o.accountId() == accountId).orElseThrow(() -> Failure.notFound("order"));
    }

    public Order get(String id) {
        return find(id).orElseThrow(() -> Failure.notFound("order"));
    }

    private Optional<Order> find(String id) {
        if (id == null || id.length() > 40) {
            return Optional.empty();
        }
        return sql.one("SELECT * FROM apimodels_order WHERE id = ?", Order::map, id);
    }

    public List<Order> search(Query q) {
        StringBuilder where = new StringBuilder(" WHERE 1 = 1");
        List<Object> args = new ArrayList<>();
        if (q.accountId() != null) {
            where.append(" AND account_id = ?");
            args.add(q.accountId());
        }
        if (q.state() != null) {
            where.append(" AND state = ?");
            args.add(q.state());
        }
        if (q.gateway() != null) {
            where.append(" AND gateway = ?");
            args.add(q.gateway());
        }
        if (q.from() != null) {
            where.append(" AND created_at >= ?");
            args.add(q.from());
        }
        if (q.to() != null) {
            where.append(" AND created_at < ?");
            args.add(q.to());
        }
        if (q.review()) {
            where.append(" AND review IS NOT NULL");
        }
        args.add(q.limit());
        return sql.list("SELECT * FROM apimodels_order" + where + " ORDER BY created_at DESC, id DESC LIMIT ?", Order::map, args.toArray());
    }

    /** Every event recorded about the order, in the order they arrived. */
    public List<EventRecord> events(String orderId) {
        return sql.list("SELECT * FROM apimodels_payment_event WHERE order_id = ? ORDER BY id", EventRecord::map, orderId);
    }

    /** The ledger transfers of the order: its credit, claw-backs, give-backs and the debt they paid or made. */
    public List<Transfer> transfers(String orderId) {
        return sql.list("SELECT * FROM apimodels_transfer WHERE id LIKE ? ORDER BY created_at, id",
                rs -> new Transfer(rs.getString("id"), rs.getLong("debit_id"), rs.getLong("credit_id"), rs.getLong("amount"),
                        rs.getString("kind"), rs.getString("hold_id"), rs.getString("reason"), rs.getLong("created_at")),
                transferPrefix(orderId) + "%");
    }

    static String transferPrefix(String orderId) {
        return "order:" + orderId + ":";
    }

    /** The transfer id of an order's credit: one per order, so it is credited once. */
    public static String creditTransferId(String orderId) {
        return transferPrefix(orderId) + "paid";
    }

    // ---- events --------------------------------------------------------------------------------

    /**
     * Applies a verified event from gateway {@code gateway}: in one transaction, records it,
     * changes the order and moves the ledger. Returns what it did; a failure (the database) is
     * thrown, and the gateway must be told to deliver again.
     */
    public Outcome receive(String gateway, PaymentEvent event) {
        Outcome outcome;
        try {
            Applied applied = sql.tx(c -> receive(c, gateway, event));
            if (applied.accountId() != null) {
                ledger.debtChanged(applied.accountId()); // committed: what it owes may have changed
            }
            outcome = applied.outcome();
        } catch (RuntimeException e) {
            // A concurrent delivery of an event about no order of ours recorded it first.
            if (Sql.isUniqueViolation(e) && recorded(gateway, event.eventId())) {
                outcome = Outcome.DUPLICATE;
            } else {
                throw e;
            }
        }
        metrics.count("apimodels_payment_events", "Payment events received, by gateway and what they did",
                "gateway", gateway, "outcome", outcome.wire());
        return outcome;
    }

    private boolean recorded(String gateway, String eventId) {
        return sql.one("SELECT 1 FROM apimodels_payment_event WHERE gateway = ? AND event_id = ?", rs -> 1, gateway, eventId).isPresent();
    }

    private record Applied(Outcome outcome, Long accountId) {
    }

    private Applied receive(Connection c, String gateway, PaymentEvent e) throws SQLException {
        Optional<Order> found = lock(c, gateway, e);
        if (Sql.one(c, "SELECT 1 FROM apimodels_payment_event WHERE gateway = ? AND event_id = ?", rs -> 1, gateway, e.eventId())
                .isPresent()) {
            return new Applied(Outcome.DUPLICATE, null);
        }
        long now = clock.millis();
        long row = Sql.insert(c, """
                        INSERT INTO apimodels_payment_event (gateway, event_id, order_id, kind, amount_minor, currency, cumulative, outcome,
                                                             occurred_at, received_at)
                        VALUES (?, ?, ?, ?, ?, ?, ?, 'received', ?, ?)""",
                gateway, e.eventId(), found.map(Order::id).orElse(null), e.kind().name().toLowerCase(java.util.Locale.ROOT),
                e.amount().minorUnits(), e.amount().currency(), e.cumulative(),
                e.occurredAt() == null ? null : e.occurredAt().toEpochMilli(), now);
        if (found.isEmpty()) {
            String detail = "no order " + (e.orderId() != null ? e.orderId() : "with gateway id " + e.gatewayOrderId());
            alert(gateway, "unknown_order", detail + " (event " + e.eventId() + ")");
            return new Applied(outcome(c, row, Outcome.UNKNOWN_ORDER, detail), null);
        }
        Order o = found.get();
        Outcome outcome = switch (e.kind()) {
            case PAID -> paid(c, o, e, row, now);
            case FAILED -> {
                int closed = Sql.update(c, "UPDATE apimodels_order SET state = 'failed', updated_at = ? WHERE id = ? AND state = 'pending'",
                        now, o.id());
                yield outcome(c, row, closed == 1 ? Outcome.CLOSED : Outcome.IGNORED, null);
            }
            case REFUNDED, DISPUTED, DISPUTE_WON -> adjustment(c, o, e, row, now);
        };
        return new Applied(outcome, o.accountId());
    }

    /** The order the event is about, locked: by our id (for this gateway), else by the gateway's. */
    private static Optional<Order> lock(Connection c, String gateway, PaymentEvent e) throws SQLException {
        if (e.orderId() != null && e.orderId().length() <= 40) {
            Optional<Order> o = Sql.one(c, "SELECT * FROM apimodels_order WHERE id = ? AND gateway = ? FOR UPDATE", Order::map,
                    e.orderId(), gateway);
            if (o.isPresent()) {
                return o;
            }
        }
        if (e.gatewayOrderId() != null) {
            return Sql.one(c, "SELECT * FROM apimodels_order WHERE gateway = ? AND gateway_order_id = ? FOR UPDATE", Order::map,
                    gateway, e.gatewayOrderId());
        }
        return Optional.empty();
    }

    private Outcome paid(Connection c, Order o, PaymentEvent e, long row, long now) throws SQLException {
        Money expected = new Money(o.amountMinor(), o.currency());
        if (!e.amount().equals(expected)) {
            String why = "the gateway reported " + e.amount() + " paid for an order of " + expected;
            review(c, o, why, o.payable(), now);
            alert(o.gateway(), "amount_mismatch", "order " + o.id() + ": " + why + " (event " + e.eventId() + ")");
            return outcome(c, row, Outcome.MISMATCH, why);
        }
        if (!o.payable()) {
            return outcome(c, row, o.credited() ? Outcome.DUPLICATE_PAYMENT : Outcome.IGNORED,
                    o.credited() ? "the order was already credited" : "the order is held for review");
        }
        Sql.update(c, "UPDATE apimodels_order SET state = 'paid', paid_at = ?, updated_at = ? WHERE id = ?", now, now, o.id());
        ledger.credit(c, PAYMENTS, o.accountId(), o.amountMicros(), creditTransferId(o.id()), "payment", "order " + o.id());
        outcome(c, row, Outcome.CREDITED, null);
        Optional<String> email = Sql.one(c, "SELECT email FROM apimodels_account WHERE id = ?", rs -> rs.getString(1), o.accountId());
        if (email.isPresent()) {
            outbox.queue(c, new Letter(email.get(), "receipt", java.util.Locale.ENGLISH, Map.of("order_id", o.id(),
                    "amount", expected.toDecimalString(), "currency", o.currency(), "credits", credits(o.amountMicros())),
                    "receipt:" + o.id()));
        }
        // Refunds and disputes reported before the payment: applied now, in the order they came.
        for (EventRecord d : Sql.list(c, "SELECT * FROM apimodels_payment_event WHERE order_id = ? AND outcome = 'deferred' ORDER BY id",
                EventRecord::map, o.id())) {
            adjust(c, reload(c, o.id()), PaymentEvent.Kind.valueOf(d.kind().toUpperCase(java.util.Locale.ROOT)), d.amountMinor(),
                    d.cumulative(), d.id(), now);
        }
        return Outcome.CREDITED;
    }

    private Outcome adjustment(Connection c, Order o, PaymentEvent e, long row, long now) throws SQLException {
        if (!e.amount().currency().equals(o.currency())) {
            String why = "the gateway reported a " + e.kind().name().toLowerCase(java.util.Locale.ROOT) + " of " + e.amount()
                    + " for an order in " + o.currency();
            review(c, o, why, false, now);
            alert(o.gateway(), "currency_mismatch", "order " + o.id() + ": " + why + " (event " + e.eventId() + ")");
            return outcome(c, row, Outcome.MISMATCH, why);
        }
        if (!o.credited()) {
            return outcome(c, row, Outcome.DEFERRED, "applied once the order is paid");
        }
        return adjust(c, o, e.kind(), e.amount().minorUnits(), e.cumulative(), row, now);
    }

    private static Order reload(Connection c, String id) throws SQLException {
        return Sql.one(c, "SELECT * FROM apimodels_order WHERE id = ?", Order::map, id).orElseThrow();
    }

    /**
     * Applies a refund, a dispute or a won dispute of {@code minor} units to a credited order and
     * records the event's outcome: what should be taken back is the order's credits in proportion
     * to what is refunded or disputed now (at most all of them); the difference from what was
     * taken back so far is clawed back, or given back (paying debt first) when it shrank. A
     * cumulative refund says what is refunded in all: a total at or below what is known changes
     * nothing, so such events may come in any order and any number of times.
     */
    private Outcome adjust(Connection c, Order o, PaymentEvent.Kind kind, long minor, boolean cumulative, long row, long now)
            throws SQLException {
        long refunded = kind != PaymentEvent.Kind.REFUNDED ? o.refundedMinor()
                : cumulative ? Math.max(o.refundedMinor(), minor) : o.refundedMinor() + minor;
        long disputed = switch (kind) {
            case DISPUTED -> o.disputedMinor() + minor;
            case DISPUTE_WON -> Math.max(0, o.disputedMinor() - minor);
            default -> o.disputedMinor();
        };
        long target = share(o, Math.min(o.amountMinor(), refunded + disputed));
        long delta = target - o.clawedMicros();
        String transferId = transferPrefix(o.id()) + "ev:" + row;
        String reason = kind.name().toLowerCase(java.util.Locale.ROOT) + " of order " + o.id();
        Outcome outcome;
        if (delta > 0) {
            ledger.clawBack(c, o.accountId(), PAYMENTS, delta, transferId, reason);
            outcome = Outcome.CLAWED_BACK;
        } else if (delta < 0) {
            ledger.credit(c, PAYMENTS, o.accountId(), -delta, transferId, "payment", reason);
            outcome = Outcome.GIVEN_BACK;
        } else {
            outcome = Outcome.UNCHANGED;
        }
        String state = disputed > 0 ? Order.DISPUTED : refunded >= o.amountMinor() ? Order.REFUNDED
                : refunded > 0 ? Order.PARTIALLY_REFUNDED : Order.PAID;
        Sql.update(c, "UPDATE apimodels_order SET refunded_minor = ?, disputed_minor = ?, clawed_micros = ?, state = ?, updated_at = ? WHERE id = ?",
                refunded, disputed, target, state, now, o.id());
        return outcome(c, row, outcome, delta == 0 ? null : Math.abs(delta) + " micros");
    }

    /** The order's credits in proportion to {@code minor} of its {@code amountMinor}, rounded down. */
    static long share(Order o, long minor) {
        return BigInteger.valueOf(o.amountMicros()).multiply(BigInteger.valueOf(minor))
                .divide(BigInteger.valueOf(o.amountMinor())).longValueExact();
    }

    private static void review(Connection c, Order o, String why, boolean fail, long now) throws SQLException {
        Sql.update(c, "UPDATE apimodels_order SET review = COALESCE(review, ?), state = CASE WHEN ? THEN 'failed' ELSE state END, updated_at = ? WHERE id = ?",
                why, fail, now, o.id());
    }

    private static Outcome outcome(Connection c, long row, Outcome outcome, String detail) throws SQLException {
        Sql.update(c, "UPDATE apimodels_payment_event SET outcome = ?, detail = ? WHERE id = ?", outcome.wire(), detail, row);
        return outcome;
    }

    /** Something an administrator must look at: logged, counted, and kept on the order or event. */
    private void alert(String gateway, String reason, String detail) {
        LOG.log(System.Logger.Level.WARNING, "payment alert (" + gateway + ", " + reason + "): " + detail);
        metrics.count("apimodels_payment_alerts", "Payment events an administrator must review, by gateway and reason",
                "gateway", gateway, "reason", reason);
    }

    // ---- refunds and expiry ------------------------------------------------------------------------

    /**
     * Refunds a credited order through its gateway: all that is not refunded yet, or
     * {@code amountMicros} of its credits (converted to the order's currency, rounded down). A
     * refund the gateway says succeeded is clawed back at once, as an event of its own saying what
     * is refunded in all (cumulative), so the gateway's own cumulative REFUNDED event for it
     * (Stripe's {@code charge.refunded}, Alipay's refund notify) changes nothing more; a pending one
     * is clawed back when that event comes. A gateway reporting each refund on its own (not
     * cumulative) would have a refund made here counted twice, so gateways report totals.
     * Returns the gateway's answer.
     */
    public RefundResult refund(String orderId, Long amountMicros) {
        Order o = get(orderId);
        if (!o.credited() || o.gatewayOrderId() == null) {
            throw Failure.invalid(null, "only a paid order can be refunded; this one is " + o.state());
        }
        long remaining = o.amountMinor() - o.refundedMinor();
        if (remaining <= 0) {
            throw Failure.invalid(null, "this order is refunded in full already");
        }
        long minor = remaining;
        if (amountMicros != null) {
            minor = BigInteger.valueOf(amountMicros).multiply(BigInteger.valueOf(o.amountMinor()))
                    .divide(BigInteger.valueOf(o.amountMicros())).longValueExact();
            if (minor < 1 || minor > remaining) {
                throw Failure.invalid("amount_micros", "amount_micros must be between " + share(o, 1) + " and "
                        + share(o, remaining) + " for this order");
            }
        }
        PaymentGateway gateway = gateways.find(o.gateway()).orElseThrow(() -> Failure.invalid(null,
                "the payment gateway " + o.gateway() + " of this order is not configured"));
        String key = "refund-" + o.id() + "-" + o.refundedMinor() + "-" + minor;
        RefundResult result;
        try {
            result = gateway.refund(new RefundRequest(o.id(), o.gatewayOrderId(), new Money(minor, o.currency()),
                    "requested by an administrator", key));
        } catch (PaymentException e) {
            LOG.log(System.Logger.Level.WARNING, "refund of order " + o.id() + " failed at " + o.gateway() + ": " + e.getMessage());
            throw new Failure(Failure.Reason.UPSTREAM_FAILED, "the payment gateway could not refund: " + e.getMessage());
        }
        switch (result.status()) {
            case FAILED -> throw new Failure(Failure.Reason.UPSTREAM_FAILED, "the payment gateway refused the refund: " + result.error());
            case SUCCEEDED -> receive(o.gateway(), new PaymentEvent("refund:" + (result.refundId() != null ? result.refundId() : key),
                    PaymentEvent.Kind.REFUNDED, o.id(), o.gatewayOrderId(),
                    new Money(o.refundedMinor() + result.amount().minorUnits(), o.currency()), clock.instant(), true));
            case PENDING -> LOG.log(System.Logger.Level.INFO, "refund of order " + o.id() + " is pending at " + o.gateway());
        }
        return result;
    }

    /**
     * Expires unpaid orders past their expiry and closes them at their gateway where it can
     * ({@link PaymentGateway#close}); a payment that still arrives is credited. Returns how many.
     */
    public int expire(int limit) {
        List<Order> due = sql.list("SELECT * FROM apimodels_order WHERE state = 'pending' AND expires_at < ? ORDER BY expires_at LIMIT ?",
                Order::map, clock.millis(), limit);
        int expired = 0;
        for (Order o : due) {
            if (sql.update("UPDATE apimodels_order SET state = 'expired', updated_at = ? WHERE id = ? AND state = 'pending'",
                    clock.millis(), o.id()) == 0) {
                continue;
            }
            expired++;
            if (o.gatewayOrderId() != null) {
                gateways.find(o.gateway()).ifPresent(g -> {
                    try {
                        g.close(o.gatewayOrderId());
                    } catch (RuntimeException e) {
                        LOG.log(System.Logger.Level.WARNING, "could not close expired order " + o.id() + " at " + o.gateway() + ": " + e.getMessage());
                    }
                });
            }
        }
        return expired;
    }
}
