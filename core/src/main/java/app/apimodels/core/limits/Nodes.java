package app.apimodels.core.limits;

import app.apimodels.core.db.Sql;

import java.time.Clock;
import java.time.Duration;

/**
 * The nodes serving this database, so each can enforce its share of a limit. Every node writes a
 * heartbeat row ({@code apimodels_node}) every {@link #EVERY}; a node is live while its last beat
 * is younger than three beats. A node that stops cleanly removes its row, so the others take back
 * its share at their next beat; one that dies is forgotten within three beats.
 */
public final class Nodes {

    /** How often each node says it is alive. */
    public static final Duration EVERY = Duration.ofSeconds(10);
    private static final long LIVE_MILLIS = 3 * EVERY.toMillis();
    private static final long FORGET_MILLIS = Duration.ofHours(1).toMillis();

    private final Sql sql;
    private final Clock clock;
    private final String name;
    private volatile int live = 1;

    public Nodes(Sql sql, Clock clock, String name) {
        this.sql = sql;
        this.clock = clock;
        this.name = name.length() > 100 ? name.substring(0, 100) : name;
    }

    /** Writes this node's beat and counts the live nodes (at least this one). */
    public void beat() {
        long now = clock.millis();
        int counted = sql.tx(c -> {
            if (Sql.update(c, "UPDATE apimodels_node SET seen_at = ? WHERE name = ?", now, name) == 0) {
                Sql.update(c, "INSERT INTO apimodels_node (name, seen_at) VALUES (?, ?)", name, now);
            }
            Sql.update(c, "DELETE FROM apimodels_node WHERE seen_at < ?", now - FORGET_MILLIS);
            return Sql.one(c, "SELECT COUNT(*) FROM apimodels_node WHERE seen_at >= ?", rs -> rs.getInt(1), now - LIVE_MILLIS)
                    .orElse(1);
        });
        live = Math.max(1, counted);
    }

    /** The live nodes at the last beat; 1 before the first. */
    public int live() {
        return live;
    }

    /** This node leaves: the others count it out at their next beat. */
    public void leave() {
        sql.update("DELETE FROM apimodels_node WHERE name = ?", name);
    }
}
