package app.apimodels.core.reconciliation;

import app.apimodels.core.api.Params;
import app.apimodels.core.web.ApiException;
import app.apimodels.core.web.Request;

import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.Map;

/** {@code GET /admin/reconciliation?from&to} (epoch ms; default the last two days): the report, read only. */
public final class ReconciliationApi {

    private static final long MAX_SPAN = 366L * 86_400_000;

    private final Reconciliation reconciliation;
    private final Clock clock;

    public ReconciliationApi(Reconciliation reconciliation, Clock clock) {
        this.reconciliation = reconciliation;
        this.clock = clock;
    }

    public void report(Request r) {
        Long to = Params.queryLong(r.exchange().query("to"), "to");
        Long from = Params.queryLong(r.exchange().query("from"), "from");
        long end = to != null ? to : clock.millis();
        long start = from != null ? from : end - 2 * 86_400_000L;
        if (start < 0 || end < 0) {
            throw ApiException.badRequest(from != null && from < 0 ? "from" : "to", "from and to are epoch milliseconds, not negative");
        }
        if (start >= end || end - start > MAX_SPAN) {
            throw ApiException.badRequest("from", "from must be before to, at most 366 days apart");
        }
        Reconciliation.Report report = reconciliation.report(start, end);
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("from", report.from());
        out.put("to", report.to());
        out.put("days", report.days().stream().map(l -> {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("gateway", l.gateway());
            m.put("day", l.day().toString());
            m.put("orders_paid", l.ordersPaid());
            m.put("orders_paid_micros", l.ordersPaidMicros());
            m.put("payment_events_credited", l.paymentEvents());
            m.put("ledger_credits", l.credits());
            m.put("ledger_credited_micros", l.creditedMicros());
            m.put("clawed_back_micros", l.clawedBackMicros());
            return m;
        }).toList());
        out.put("mismatch_count", report.mismatches().size());
        out.put("mismatches", report.mismatches().stream().map(m -> {
            Map<String, Object> v = new LinkedHashMap<>();
            v.put("kind", m.kind());
            v.put("gateway", m.gateway());
            v.put("order_id", m.orderId());
            v.put("event_id", m.eventId());
            v.put("detail", m.detail());
            return v;
        }).toList());
        r.json(200, out);
    }
}
