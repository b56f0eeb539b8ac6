package app.apimodels.servlet;

import org.junit.jupiter.api.Test;

import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.sql.Driver;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A server with PostgreSQL's driver in its own libraries (as Tomcat for a JNDI pool) and an
 * application with its own copy in WEB-INF/lib: after {@link JdbcDrivers#deregister}, run by the
 * application's copy of the adapter, none of the application's drivers is registered, and the
 * server's is left alone.
 */
class JdbcDriversTest {

    private static final String POSTGRESQL = "org.postgresql.Driver";

    @Test
    void leavesNoDriverOfTheApplicationRegisteredEvenOneThatListingTheDriversRegisters() throws Exception {
        URL adapter = JdbcDrivers.class.getProtectionDomain().getCodeSource().getLocation();
        URL driverJar = Class.forName(POSTGRESQL, false, getClass().getClassLoader())
                .getProtectionDomain().getCodeSource().getLocation();
        try (URLClassLoader server = new URLClassLoader("server", new URL[] {adapter, driverJar}, ClassLoader.getPlatformClassLoader());
             URLClassLoader application = new URLClassLoader("application", new URL[] {adapter, driverJar}, ClassLoader.getPlatformClassLoader())) {
            Class.forName(POSTGRESQL, true, server); // registers the server's copy
            try {
                // Nothing of the application has touched DriverManager yet (listing would register its copy).
                deregister(application);

                assertThat(registeredBelow(application)).as("the application's drivers after deregister").isEmpty();
                Class<?> applicationCopy = Class.forName(POSTGRESQL, false, application);
                assertThat(applicationCopy.getClassLoader()).as("the application's own copy was loaded (and registered "
                        + "itself) while the drivers were listed").isSameAs(application);
                assertThat(registeredBelow(server)).as("the server's driver").hasSize(1);
            } finally {
                deregister(server);
            }
            assertThat(registeredBelow(server)).isEmpty();
        }
    }

    /** Calls the loader's own copy of the adapter's method: DriverManager answers according to its caller's loader. */
    private static void deregister(ClassLoader loader) throws Exception {
        adapterMethod(loader, "deregister").invoke(null, loader);
    }

    @SuppressWarnings("unchecked")
    private static List<Driver> registeredBelow(ClassLoader loader) throws Exception {
        return (List<Driver>) adapterMethod(loader, "registeredBelow").invoke(null, loader);
    }

    private static Method adapterMethod(ClassLoader loader, String name) throws Exception {
        Class<?> drivers = Class.forName(JdbcDrivers.class.getName(), true, loader);
        assertThat(drivers.getClassLoader()).isSameAs(loader);
        Method method = drivers.getDeclaredMethod(name, ClassLoader.class);
        method.setAccessible(true);
        return method;
    }
}
