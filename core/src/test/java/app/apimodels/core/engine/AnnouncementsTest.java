package app.apimodels.core.engine;

import app.apimodels.core.engine.EngineHarness.User;
import app.apimodels.core.testing.TestDatabases;
import app.apimodels.testkit.web.MockExchange;
import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.file.Path;

import static app.apimodels.core.engine.EngineHarness.expect;
import static app.apimodels.core.engine.EngineHarness.json;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Product announcements reach only the people who agreed to marketing mail: not those who never
 * did or withdrew, not those who restricted processing; and only admins send them.
 */
class AnnouncementsTest {

    @TempDir
    Path dir;
    private EngineHarness engine;

    @AfterEach
    void stop() {
        if (engine != null) {
            engine.close();
        }
    }

    @ParameterizedTest
    @EnumSource(TestDatabases.class)
    void anAnnouncementIsMailedOnlyToThoseWhoAgreedToIt(TestDatabases db) throws Exception {
        java.util.Map<String, String> settings = db.settings(); // one database for the engine and the probe
        engine = EngineHarness.start(dir, settings);
        Mailbox mail = new Mailbox(new DatabaseProbe(settings));
        User agreed = engine.user(0);
        User never = engine.user(0);
        User withdrew = engine.user(0);
        User restricted = engine.user(0);
        for (User u : new User[] {agreed, withdrew, restricted}) {
            expect(PrivacyTest.patch(engine, u, "{\"marketing_consent\":true}"), 200);
        }
        expect(PrivacyTest.patch(engine, withdrew, "{\"marketing_consent\":false}"), 200);
        expect(engine.post("/api/v1/account/restriction", restricted.key(), "{\"restricted\":true}"), 200);

        String body = "{\"subject\":\"New models\",\"body\":\"Two new image models are live.\"}";
        assertThat(engine.post("/admin/announcements", agreed.key(), body).status()).as("a user cannot announce").isEqualTo(403);
        JsonNode sent = json(expect(engine.post("/admin/announcements", EngineHarness.ADMIN_KEY, body), 202));

        assertThat(sent.get("recipients").asInt()).isEqualTo(1);
        assertThat(mail.last(email(agreed), "announcement").values().get("subject").asText()).isEqualTo("New models");
        for (User u : new User[] {never, withdrew, restricted}) {
            assertThat(mail.to(email(u))).noneMatch(l -> l.template().equals("announcement"));
        }

        MockExchange.Answer twoLines = engine.post("/admin/announcements", EngineHarness.ADMIN_KEY,
                "{\"subject\":\"a\\nBcc: x@example.com\",\"body\":\"b\"}");
        assertThat(twoLines.status()).isEqualTo(400);
        assertThat(twoLines.bodyText()).contains("subject");
        assertThat(engine.post("/admin/announcements", EngineHarness.ADMIN_KEY, "{\"subject\":\"s\"}").bodyText()).contains("body");
    }

    private String email(User u) {
        return json(expect(engine.get("/api/v1/account", u.key()), 200)).get("email").asText();
    }
}
