package app.apimodels.servlet;

import java.sql.Driver;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.Collections;
import java.util.List;

/**
 * JDBC drivers registered from the web application's own jars. {@link DriverManager}, a JDK class,
 * keeps every registered driver and with it the class loader that defined it: a driver left behind
 * at undeploy keeps the whole application in memory. The engine's drivers (H2, PostgreSQL) come in
 * WEB-INF/lib with this jar, and merely using DriverManager registers every driver it can see.
 */
final class JdbcDrivers {

    private static final System.Logger LOG = System.getLogger(JdbcDrivers.class.getName());
    /** A listing registers only copies not initialised yet, so the second one finds what the first left. */
    private static final int PASSES = 3;

    private JdbcDrivers() {
    }

    /**
     * Deregisters the drivers defined by the application's class loader (or one below it) that this
     * adapter can see: with the adapter in WEB-INF/lib, the drivers shipped beside it. Run as the
     * application stops, as servers do themselves after the last listener (Tomcat warns when it has
     * to); an adapter installed in the server's own libraries sees none of the application's drivers.
     *
     * <p>Listing the drivers registers more: {@link DriverManager#getDrivers()} checks each registered
     * driver against the caller's loader with {@code Class.forName(name, true, loader)}, which
     * initialises the application's own copy of a driver the server also has (PostgreSQL in Tomcat's
     * lib for a JNDI pool), and that copy registers itself after the list was taken. So the drivers are
     * listed again until a listing finds none of the application's.
     */
    static void deregister(ClassLoader application) {
        List<Driver> drivers = registeredBelow(application);
        for (int pass = 1; ; pass++) {
            drivers.forEach(JdbcDrivers::deregister);
            // Listed again: the last listing may have registered copies it did not return.
            drivers = registeredBelow(application);
            if (drivers.isEmpty()) {
                return;
            }
            if (pass == PASSES) {
                drivers.forEach(driver -> LOG.log(System.Logger.Level.WARNING,
                        "apimodels: the JDBC driver {0} is still registered", driver.getClass().getName()));
                return;
            }
        }
    }

    private static void deregister(Driver driver) {
        try {
            DriverManager.deregisterDriver(driver);
        } catch (SQLException | SecurityException e) {
            LOG.log(System.Logger.Level.WARNING, "apimodels: could not deregister the JDBC driver "
                    + driver.getClass().getName() + ": " + e);
        }
    }

    /** The registered drivers this class can see that the application's loader (or one below it) defined. */
    static List<Driver> registeredBelow(ClassLoader application) {
        return Collections.list(DriverManager.getDrivers()).stream()
                .filter(driver -> definedBelow(driver.getClass().getClassLoader(), application))
                .toList();
    }

    private static boolean definedBelow(ClassLoader loader, ClassLoader application) {
        for (ClassLoader l = loader; l != null; l = l.getParent()) {
            if (l == application) {
                return true;
            }
        }
        return false;
    }
}
