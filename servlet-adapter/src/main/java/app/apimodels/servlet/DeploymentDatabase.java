package app.apimodels.servlet;

import app.apimodels.core.config.ConfigException;
import app.apimodels.core.config.Keys;
import app.apimodels.core.config.Settings;

import javax.naming.InitialContext;
import javax.naming.NamingException;
import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * The database of an auto-mounted engine, in this order:
 * <ol>
 *   <li>{@code apimodels.db.jndi}: the container's DataSource of that name; the server's default one
 *       only when named ({@code java:comp/DefaultDataSource}: often a demo database, WildFly's lives
 *       in memory);</li>
 *   <li>{@code apimodels.db.url}: a pool the engine makes;</li>
 *   <li>neither: the engine's embedded H2 database, a file in the data directory.</li>
 * </ol>
 * A database in memory (H2 {@code mem:}) is lost at every restart with every account, balance and
 * key in it, so it is refused unless {@code apimodels.db.allow-in-memory=true}.
 */
final class DeploymentDatabase {

    static final String JNDI = Keys.DB_JNDI.key();
    static final String URL = Keys.DB_URL.key();
    static final String ALLOW_IN_MEMORY = Keys.DB_ALLOW_IN_MEMORY.key();

    /** {@code jdbc:h2:mem:…}, and a server's in-memory database {@code jdbc:h2:tcp://host/mem:…}. */
    private static final Pattern IN_MEMORY = Pattern.compile("jdbc:h2:(mem:|(tcp|ssl)://[^/]*/mem:).*");

    /** A JNDI lookup, replaceable in tests. */
    interface Naming {
        Object lookup(String name) throws NamingException;
    }

    /**
     * What the engine is given: the DataSource, or null when it opens {@code apimodels.db.url} or its
     * embedded database itself; and what that is, for the start-up log.
     */
    record Choice(DataSource dataSource, String description) {
    }

    private DeploymentDatabase() {
    }

    static Choice choose(Settings settings) {
        return choose(settings, DeploymentDatabase::lookup);
    }

    static Choice choose(Settings settings, Naming naming) {
        boolean allowInMemory = settings.get(Keys.DB_ALLOW_IN_MEMORY);
        var name = settings.find(Keys.DB_JNDI);
        var url = settings.find(Keys.DB_URL);
        if (name.isPresent()) {
            if (url.isPresent()) {
                throw new ConfigException("set " + JNDI + " or " + URL + ", not both");
            }
            DataSource dataSource = dataSource(name.get(), naming);
            refuseInMemory(urlOf(dataSource, name.get()), allowInMemory, JNDI + " '" + name.get() + "'");
            return new Choice(dataSource, "the DataSource " + name.get() + " (" + JNDI + ")");
        }
        if (url.isPresent()) {
            refuseInMemory(url.get(), allowInMemory, URL);
            return new Choice(null, "a pool of its own on " + URL);
        }
        return new Choice(null, "the embedded H2 database in " + settings.get(Keys.DATA_DIR).toAbsolutePath().normalize()
                + " (neither " + JNDI + " nor " + URL + " is set)");
    }

    private static void refuseInMemory(String url, boolean allowed, String what) {
        if (!allowed && url != null && IN_MEMORY.matcher(url.toLowerCase(Locale.ROOT)).matches()) {
            throw new ConfigException(what + " is a database in memory, lost at every restart with every account, "
                    + "balance and key; name a durable one, or set " + ALLOW_IN_MEMORY + "=true for a demo");
        }
    }

    private static String urlOf(DataSource dataSource, String name) {
        try (Connection connection = dataSource.getConnection()) {
            return connection.getMetaData().getURL();
        } catch (SQLException e) {
            throw new ConfigException(JNDI + ": cannot connect to '" + name + "': " + e.getMessage(), e);
        }
    }

    private static DataSource dataSource(String name, Naming naming) {
        Object found;
        try {
            found = naming.lookup(name);
        } catch (NamingException e) {
            throw new ConfigException(JNDI + ": cannot look up '" + name + "': " + e, e);
        }
        if (found instanceof DataSource dataSource) {
            return dataSource;
        }
        throw new ConfigException(JNDI + ": '" + name + "' is " + (found == null ? "null" : "a " + found.getClass().getName())
                + ", not a javax.sql.DataSource");
    }

    private static Object lookup(String name) throws NamingException {
        InitialContext naming = new InitialContext();
        try {
            return naming.lookup(name);
        } finally {
            naming.close();
        }
    }
}
