package app.apimodels.servlet;

import app.apimodels.core.config.ConfigException;
import app.apimodels.core.config.ConfigSource;
import app.apimodels.core.config.Settings;
import org.h2.jdbcx.JdbcDataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.naming.NameNotFoundException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Which database an auto-mounted engine uses, and which it refuses. */
class DeploymentDatabaseTest {

    @TempDir
    Path dir;
    /** What the "server" was asked for. */
    private final List<String> lookedUp = new ArrayList<>();
    /** The server's names: its default DataSource is an in-memory H2 (as WildFly's ExampleDS). */
    private final Map<String, Object> server = new HashMap<>();

    private DeploymentDatabase.Choice choose(String... settings) {
        Map<String, String> values = new HashMap<>(Map.of("apimodels.data-dir", dir.toString()));
        for (int i = 0; i < settings.length; i += 2) {
            values.put(settings[i], settings[i + 1]);
        }
        server.putIfAbsent("java:comp/DefaultDataSource", h2("jdbc:h2:mem:test;DB_CLOSE_DELAY=-1"));
        return DeploymentDatabase.choose(new Settings(ConfigSource.of(values)), name -> {
            lookedUp.add(name);
            if (!server.containsKey(name)) {
                throw new NameNotFoundException(name);
            }
            return server.get(name);
        });
    }

    private static JdbcDataSource h2(String url) {
        JdbcDataSource dataSource = new JdbcDataSource();
        dataSource.setURL(url);
        return dataSource;
    }

    @Test
    void nothingConfiguredIsTheEmbeddedFileInTheDataDirectoryNotTheServersDefault() {
        var choice = choose();
        assertThat(choice.dataSource()).isNull();
        assertThat(choice.description()).contains("embedded H2", dir.toAbsolutePath().toString());
        assertThat(lookedUp).as("the server's default DataSource is not even looked at").isEmpty();
    }

    @Test
    void aNamedDataSourceIsUsed() {
        JdbcDataSource durable = h2("jdbc:h2:file:" + dir.resolve("named"));
        server.put("java:comp/env/jdbc/apimodels", durable);
        var choice = choose("apimodels.db.jndi", "java:comp/env/jdbc/apimodels");
        assertThat(choice.dataSource()).isSameAs(durable);
        assertThat(choice.description()).contains("java:comp/env/jdbc/apimodels");
    }

    @Test
    void theServersDefaultInMemoryDataSourceOnlyWhenNamedAndAllowed() {
        assertThatThrownBy(() -> choose("apimodels.db.jndi", "java:comp/DefaultDataSource"))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("apimodels.db.jndi 'java:comp/DefaultDataSource' is a database in memory")
                .hasMessageContaining("apimodels.db.allow-in-memory=true");
        var allowed = choose("apimodels.db.jndi", "java:comp/DefaultDataSource", "apimodels.db.allow-in-memory", "true");
        assertThat(allowed.dataSource()).isSameAs(server.get("java:comp/DefaultDataSource"));
    }

    @Test
    void anInMemoryUrlIsRefusedUnlessAllowed() {
        for (String url : List.of("jdbc:h2:mem:apimodels", "JDBC:H2:MEM:", "jdbc:h2:tcp://db:9092/mem:shared")) {
            assertThatThrownBy(() -> choose("apimodels.db.url", url)).as(url)
                    .isInstanceOf(ConfigException.class).hasMessageStartingWith("apimodels.db.url is a database in memory");
        }
        assertThat(choose("apimodels.db.url", "jdbc:h2:mem:demo", "apimodels.db.allow-in-memory", "TRUE").dataSource()).isNull();
        assertThat(choose("apimodels.db.url", "jdbc:h2:file:/var/lib/apimodels/db").description()).contains("apimodels.db.url");
        assertThat(choose("apimodels.db.url", "jdbc:postgresql://db/mem:x").dataSource()).isNull();
    }

    @Test
    void badSettingsStopTheDeploymentNamingTheKey() {
        assertThatThrownBy(() -> choose("apimodels.db.url", "jdbc:h2:mem:x", "apimodels.db.allow-in-memory", "yes"))
                .isInstanceOf(ConfigException.class).hasMessage("apimodels.db.allow-in-memory must be true or false, got 'yes'");
        assertThatThrownBy(() -> choose("apimodels.db.jndi", "java:comp/env/jdbc/x", "apimodels.db.url", "jdbc:postgresql://db/x"))
                .isInstanceOf(ConfigException.class).hasMessage("set apimodels.db.jndi or apimodels.db.url, not both");
        assertThatThrownBy(() -> choose("apimodels.db.jndi", "java:comp/env/jdbc/missing"))
                .isInstanceOf(ConfigException.class).hasMessageStartingWith("apimodels.db.jndi: cannot look up 'java:comp/env/jdbc/missing'");
        server.put("java:comp/env/jdbc/text", "not a DataSource");
        assertThatThrownBy(() -> choose("apimodels.db.jndi", "java:comp/env/jdbc/text"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("not a javax.sql.DataSource");
    }
}
