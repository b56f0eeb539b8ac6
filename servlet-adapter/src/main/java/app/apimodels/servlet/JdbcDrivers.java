package app.apimodels.servlet;

import java.sql.Driver;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.Collections;

/**
 * JDBC drivers registered from the web application's own jars. {@link DriverManager}, a JDK class,
 * keeps every registered driver and with it the class loader that defined it: a driver left behind
 * at undeploy keeps the whole application in memory. The engine's drivers (H2, PostgreSQL) come in
 * WEB-INF/lib with this jar, and merely using DriverManager registers every driver it can see.
 */
final class JdbcDrivers {

    private static final System.Logger LOG = System.getLogger(JdbcDrivers.class.getName());

    private JdbcDrivers() {
    }

    /**
     * Deregisters the drivers defined by the application's class loader (or one below it) that this
     * adapter can see: with the adapter in WEB-INF/lib, the drivers shipped beside it. Run as the
     * application stops, as servers do themselves after the last listener (Tomcat warns when it has
     * to); an adapter installed in the server's own libraries sees none of the application's drivers.
     */
    static void deregister(ClassLoader application) {
        for (Driver driver : Collections.list(DriverManager.getDrivers())) {
            if (definedBelow(driver.getClass().getClassLoader(), application)) {
                try {
                    DriverManager.deregisterDriver(driver);
                } catch (SQLException | SecurityException e) {
                    LOG.log(System.Logger.Level.WARNING, "apimodels: could not deregister the JDBC driver "
                            + driver.getClass().getName() + ": " + e);
                }
            }
        }
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
