package app.apimodels.core.engine;

import com.fasterxml.jackson.databind.JsonNode;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/** The letters the engine queued, read from its outbox table on the test's database. */
final class Mailbox {

    record Letter(String to, String template, JsonNode values) {
        /** The mailed link's token. */
        String token() {
            String link = values.get("link").asText();
            return link.substring(link.indexOf("token=") + "token=".length());
        }
    }

    private final DatabaseProbe db;

    Mailbox(DatabaseProbe db) {
        this.db = db;
    }

    /** Every letter queued for {@code to}, oldest first. */
    List<Letter> to(String to) {
        return query("SELECT recipient, template, vals FROM apimodels_mail_outbox WHERE recipient = ? ORDER BY created_at, id", to);
    }

    /** The newest letter of {@code template} to {@code to}; fails if there is none. */
    Letter last(String to, String template) {
        List<Letter> found = to(to).stream().filter(l -> l.template().equals(template)).toList();
        if (found.isEmpty()) {
            throw new AssertionError("no " + template + " letter to " + to + "; letters: " + to(to));
        }
        return found.get(found.size() - 1);
    }

    private List<Letter> query(String sql, String arg) {
        try (Connection c = db.connect(); PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, arg);
            List<Letter> out = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(new Letter(rs.getString(1), rs.getString(2), EngineHarness.JSON.readTree(rs.getString(3))));
                }
            }
            return out;
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
