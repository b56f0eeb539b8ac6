package app.apimodels.core.testing;

import app.apimodels.core.config.ConfigSource;

import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;

/** The databases every persistence test runs on: embedded H2 and real PostgreSQL. */
public enum TestDatabases {
    H2, POSTGRESQL;

    /** Settings for a fresh, empty database of this kind. */
    public Map<String, String> settings() {
        Map<String, String> m = new HashMap<>();
        if (this == H2) {
            m.put("apimodels.db.url", "jdbc:h2:mem:" + UUID.randomUUID() + ";MODE=PostgreSQL;DATABASE_TO_LOWER=TRUE;DB_CLOSE_DELAY=-1");
        } else {
            m.put("apimodels.db.url", TestPostgres.newDatabase());
            m.put("apimodels.db.user", TestPostgres.user());
            m.put("apimodels.db.password", TestPostgres.password());
        }
        return m;
    }

    public ConfigSource config(Map<String, String> extra) {
        Map<String, String> m = settings();
        m.putAll(extra);
        return ConfigSource.of(m);
    }

    public static Stream<TestDatabases> all() {
        return Stream.of(values());
    }
}
