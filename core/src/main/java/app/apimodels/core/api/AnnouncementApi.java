package app.apimodels.core.api;

import app.apimodels.core.mail.Announcements;
import app.apimodels.core.web.Request;

import java.util.Map;

/** {@code POST /admin/announcements}: product news, mailed only to the people who agreed to it. */
public final class AnnouncementApi {

    private final Announcements announcements;

    public AnnouncementApi(Announcements announcements) {
        this.announcements = announcements;
    }

    /** {@code {subject, body}} → 202 {@code {id, recipients}}; the letters leave with the mail job. */
    public void send(Request r) {
        Map<String, Object> body = r.jsonBody();
        Announcements.Queued queued = announcements.send(Params.string(body, "subject", true, 200),
                Params.string(body, "body", true, 20_000));
        r.json(202, Map.of("id", queued.id(), "recipients", queued.recipients()));
    }
}
