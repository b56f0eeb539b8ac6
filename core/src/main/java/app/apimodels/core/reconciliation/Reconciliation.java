package app.apimodels.core.reconciliation;

import app.apimodels.core.billing.Billing;
import app.apimodels.core.db.Sql;
import app.apimodels.core.metrics.Metrics;
import app.apimodels.spi.payment.PaymentEvent;
import app.apimodels.spi.payment.PaymentException;
import app.apimodels.spi.payment.PaymentGateway;
import app.apimodels.spi.payment.PaymentStatus;

import java.time.Clock;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Orders vs gateway events vs ledger transfers, per gateway and day (UTC): what was paid, what
 * events credited, what the ledger credited and took back — and every disagreement listed, never
 * fixed by this report. The daily run ({@link #run}) first asks the gateway about orders left unpaid
 * past their expiry: one the gateway says was paid (its webhook never came) is credited through
 * the same path as a webhook ({@link Billing#receive}, event id {@code query:<order>}), so once,
 * and listed as {@code missed_webhook}. Mismatches found by a run are counted in
 * {@code apimodels_reconciliation_mismatches_total} by kind.
 */
public final class Reconciliation {

    private static final System.Logger LOG = System.getLogger(Reconciliation.class.getName());
    private static final long DAY = 86_400_000L;

    /** One gateway's day. */
    public record Line(String gateway, LocalDate day, long ordersPaid, long ordersPaidMicros, long paymentEvents,
                       long credits, long creditedMicros, long clawedBackMicros) {
    }

    /** A disagreement: its kind, where, and what was seen. */
    public record Mismatch(String kind, String gateway, String orderId, String eventId, String detail) {
    }

    public record Report(long from, long to, List<Line> days, List<Mismatch> mismatches) {
    }

    private final Sql sql;
    private final Clock clock;
    private final Billing billing;
    private final Metrics metrics;

    public Reconciliation(Sql sql, Clock clock, Billing billing, Metrics metrics) {
        this.sql = sql;
        this.clock = clock;
        this.billing = billing;
        this.metrics = metrics;
    }

    /** The daily run: the last two days, unpaid orders queried at their gateway first. */
    public Report daily() {
        long now = clock.millis();
        // Two days, so an order that expired just before midnight is still asked about the next day.
        return run(now - 2 * DAY, now + 1); // up to and including now: what this run credits is in it
    }

    /** Queries unpaid orders of {@code [from, to)} past their expiry, then reports, counting each mismatch. */
    public Report run(long from, long to) {
        List<Mismatch> failedQueries = queryUnpaid(from, to);
        Report report = report(from, to);
        List<Mismatch> all = new ArrayList<>(failedQueries);
        all.addAll(report.mismatches());
        for (Mismatch m : all) {
            metrics.count("apimodels_reconciliation_mismatches", "Disagreements reconciliation found, by kind", "kind", m.kind());
            LOG.log(System.Logger.Level.WARNING, "reconciliation: " + m);
        }
        return new Report(from, to, report.days(), all);
    }

    /** Orders created in the window, not paid, past their expiry: where does the gateway say they stand? */
    private List<Mismatch> queryUnpaid(long from, long to) {
        record Unpaid(String id, String gateway, String gatewayOrderId) {
        }
        List<Unpaid> unpaid = sql.list("""
                        SELECT id, gateway, gateway_order_id FROM apimodels_order
                        WHERE paid_at IS NULL AND review IS NULL AND gateway_order_id IS NOT NULL
                          AND created_at >= ? AND created_at < ? AND expires_at < ?
                        ORDER BY created_at""",
                rs -> new Unpaid(rs.getString(1), rs.getString(2), rs.getString(3)), from, to, clock.millis());
        List<Mismatch> failed = new ArrayList<>();
        for (Unpaid o : unpaid) {
            PaymentGateway gateway = billing.gateways().find(o.gateway()).orElse(null);
            if (gateway == null) {
                failed.add(new Mismatch("gateway_missing", o.gateway(), o.id(), null, "the order's gateway is not configured"));
                continue;
            }
            PaymentStatus status;
            try {
                status = gateway.queryOrder(o.gatewayOrderId());
            } catch (PaymentException e) {
                failed.add(new Mismatch("query_failed", o.gateway(), o.id(), null, e.getMessage()));
                continue;
            }
            if (status.state() == PaymentStatus.State.PAID) {
                billing.receive(o.gateway(), new PaymentEvent("query:" + o.id(), PaymentEvent.Kind.PAID, o.id(), o.gatewayOrderId(),
                        status.paid(), clock.instant()));
            }
        }
        return failed;
    }

    /** What the books say about {@code [from, to)}; read only. */
    public Report report(long from, long to) {
        Map<String, long[]> lines = new TreeMap<>();
        sql.list("""
                        SELECT gateway, paid_at / 86400000, COUNT(*), SUM(amount_micros) FROM apimodels_order
                        WHERE paid_at >= ? AND paid_at < ? GROUP BY gateway, paid_at / 86400000""",
                rs -> add(lines, rs.getString(1), rs.getLong(2), 0, rs.getLong(3), 1, rs.getLong(4)), from, to);
        sql.list("""
                        SELECT gateway, received_at / 86400000, COUNT(*) FROM apimodels_payment_event
                        WHERE outcome = 'credited' AND received_at >= ? AND received_at < ? GROUP BY gateway, received_at / 86400000""",
                rs -> add(lines, rs.getString(1), rs.getLong(2), 2, rs.getLong(3), 2, 0), from, to);
        sql.list("""
                        SELECT o.gateway, t.created_at / 86400000, COUNT(*), SUM(t.amount) FROM apimodels_transfer t
                        JOIN apimodels_order o ON t.id = 'order:' || o.id || ':paid'
                        WHERE t.created_at >= ? AND t.created_at < ? GROUP BY o.gateway, t.created_at / 86400000""",
                rs -> add(lines, rs.getString(1), rs.getLong(2), 3, rs.getLong(3), 4, rs.getLong(4)), from, to);
        long payments = sql.one("SELECT id FROM apimodels_ledger_account WHERE owner_id IS NULL AND kind = 'payments'",
                rs -> rs.getLong(1)).orElseThrow();
        sql.list("""
                        SELECT o.gateway, t.created_at / 86400000, SUM(CASE WHEN t.credit_id = ? THEN t.amount ELSE -t.amount END)
                        FROM apimodels_transfer t JOIN apimodels_order o ON t.id LIKE 'order:' || o.id || ':ev:%'
                        WHERE (t.credit_id = ? OR t.debit_id = ?) AND t.created_at >= ? AND t.created_at < ?
                        GROUP BY o.gateway, t.created_at / 86400000""",
                rs -> add(lines, rs.getString(1), rs.getLong(2), 5, rs.getLong(3), 5, rs.getLong(3)), payments, payments, payments, from, to);
        List<Line> days = new ArrayList<>();
        lines.forEach((key, v) -> {
            int bar = key.lastIndexOf('|');
            days.add(new Line(key.substring(0, bar), LocalDate.ofEpochDay(Long.parseLong(key.substring(bar + 1))),
                    v[0], v[1], v[2], v[3], v[4], v[5]));
        });
        return new Report(from, to, days, mismatches(from, to, payments));
    }

    /** Adds {@code a} to column {@code i} and {@code b} to column {@code j} of a gateway's day (the same column: once). */
    private static Void add(Map<String, long[]> lines, String gateway, long day, int i, long a, int j, long b) {
        long[] v = lines.computeIfAbsent(gateway + "|" + day, k -> new long[6]);
        v[i] += a;
        if (j != i) {
            v[j] += b;
        }
        return null;
    }

    private List<Mismatch> mismatches(long from, long to, long payments) {
        List<Mismatch> out = new ArrayList<>();
        out.addAll(sql.list("""
                        SELECT o.gateway, o.id, o.amount_micros, t.amount FROM apimodels_order o
                        LEFT JOIN apimodels_transfer t ON t.id = 'order:' || o.id || ':paid'
                        WHERE o.paid_at >= ? AND o.paid_at < ? AND (t.id IS NULL OR t.amount <> o.amount_micros)""",
                rs -> new Mismatch("paid_without_credit", rs.getString(1), rs.getString(2), null,
                        "paid order of " + rs.getLong(3) + " micros, credited " + rs.getLong(4)), from, to));
        out.addAll(sql.list("""
                        SELECT t.id, t.amount FROM apimodels_transfer t
                        WHERE t.id LIKE 'order:%:paid' AND t.created_at >= ? AND t.created_at < ?
                          AND NOT EXISTS (SELECT 1 FROM apimodels_order o WHERE t.id = 'order:' || o.id || ':paid' AND o.paid_at IS NOT NULL)""",
                rs -> new Mismatch("credit_without_paid_order", null, null, null, rs.getString(1) + " credited " + rs.getLong(2)),
                from, to));
        out.addAll(sql.list("""
                        SELECT o.gateway, o.id FROM apimodels_order o WHERE o.paid_at >= ? AND o.paid_at < ?
                          AND NOT EXISTS (SELECT 1 FROM apimodels_payment_event e WHERE e.order_id = o.id AND e.outcome = 'credited')""",
                rs -> new Mismatch("paid_without_event", rs.getString(1), rs.getString(2), null, "no event credited it"), from, to));
        out.addAll(sql.list("""
                        SELECT o.gateway, o.id, o.clawed_micros,
                               COALESCE((SELECT SUM(CASE WHEN t.credit_id = ? THEN t.amount ELSE -t.amount END) FROM apimodels_transfer t
                                         WHERE t.id LIKE 'order:' || o.id || ':ev:%' AND (t.credit_id = ? OR t.debit_id = ?)), 0)
                        FROM apimodels_order o WHERE o.updated_at >= ? AND o.paid_at IS NOT NULL""",
                rs -> rs.getLong(3) == rs.getLong(4) ? null : new Mismatch("clawback_differs", rs.getString(1), rs.getString(2), null,
                        "the order says " + rs.getLong(3) + " micros taken back, the ledger " + rs.getLong(4)),
                payments, payments, payments, from).stream().filter(java.util.Objects::nonNull).toList());
        out.addAll(sql.list("""
                        SELECT gateway, order_id, event_id, outcome, detail FROM apimodels_payment_event
                        WHERE received_at >= ? AND received_at < ?
                          AND (outcome IN ('mismatch', 'unknown_order') OR (event_id LIKE 'query:%' AND outcome = 'credited'))
                        ORDER BY id""",
                rs -> new Mismatch(rs.getString(3).startsWith("query:") ? "missed_webhook" : rs.getString(4), rs.getString(1),
                        rs.getString(2), rs.getString(3), rs.getString(3).startsWith("query:")
                        ? "paid at the gateway without a webhook; credited by reconciliation" : rs.getString(5)), from, to));
        out.addAll(sql.list("""
                        SELECT gateway, id, review FROM apimodels_order
                        WHERE review IS NOT NULL AND updated_at >= ? AND updated_at < ? ORDER BY created_at""",
                rs -> new Mismatch("held_for_review", rs.getString(1), rs.getString(2), null, rs.getString(3)), from, to));
        return out;
    }
}
