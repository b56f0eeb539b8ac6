package app.apimodels.servlet;

import app.apimodels.core.config.ConfigException;
import app.apimodels.core.config.Settings;

import javax.naming.InitialContext;
import javax.naming.NamingException;
import javax.sql.DataSource;

/**
 * The container's DataSource for the engine: the one {@code apimodels.db.jndi} names, or, when the
 * database is not configured at all, the server's default one ({@code java:comp/DefaultDataSource},
 * which every full Jakarta EE server has). Null means the engine makes its own pool
 * ({@code apimodels.db.url}) or uses its embedded database.
 */
final class JndiDataSource {

    static final String KEY = "apimodels.db.jndi";
    static final String SERVER_DEFAULT = "java:comp/DefaultDataSource";

    private static final System.Logger LOG = System.getLogger(JndiDataSource.class.getName());

    private JndiDataSource() {
    }

    static DataSource resolve(Settings settings) {
        var name = settings.string(KEY);
        boolean url = settings.string("apimodels.db.url").isPresent();
        if (name.isPresent()) {
            if (url) {
                throw new ConfigException("set " + KEY + " or apimodels.db.url, not both");
            }
            try {
                DataSource dataSource = lookup(name.get());
                LOG.log(System.Logger.Level.INFO, "apimodels: database from JNDI {0}", name.get());
                return dataSource;
            } catch (NamingException e) {
                throw new ConfigException(KEY + ": cannot look up '" + name.get() + "': " + e, e);
            }
        }
        if (url) {
            return null;
        }
        try {
            DataSource dataSource = lookup(SERVER_DEFAULT);
            LOG.log(System.Logger.Level.WARNING, "apimodels: neither " + KEY + " nor apimodels.db.url is set; using the "
                    + "server''s default DataSource {0} (often a demo database: name your own with " + KEY + ")", SERVER_DEFAULT);
            return dataSource;
        } catch (NamingException | ConfigException e) {
            // Not a full server (or it has no default): the engine's embedded database it is.
            return null;
        }
    }

    private static DataSource lookup(String name) throws NamingException {
        InitialContext naming = new InitialContext();
        try {
            Object found = naming.lookup(name);
            if (found instanceof DataSource dataSource) {
                return dataSource;
            }
            throw new ConfigException(KEY + ": '" + name + "' is " + (found == null ? "null" : "a " + found.getClass().getName())
                    + ", not a javax.sql.DataSource");
        } finally {
            naming.close();
        }
    }
}
