package app.apimodels.servlet;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What the auto-mount takes from its container, each in a real web application: a JNDI DataSource,
 * MicroProfile Config (SmallRye Config in WEB-INF/lib, as on Tomcat), and CDI (Weld Servlet).
 */
@Timeout(300)
class ContainerIntegrationTest {

    private static final String ADMIN_KEY = "container-admin-key-12345";

    @TempDir
    static Path dir;
    private static Webapps server;

    @BeforeAll
    static void startServer() throws Exception {
        server = Webapps.start(dir);
    }

    @AfterAll
    static void stopServer() throws Exception {
        if (server != null) {
            server.close();
        }
    }

    @Test
    void keepsItsStateInTheDataSourceNamedInJndi() throws Exception {
        Path database = dir.resolve("jndi-db");
        Path data = dir.resolve("jndi-data");
        var app = server.deploy(new Webapps.Spec("/jndi")
                .resource(Webapps.h2Resource("jdbc/apimodels", database))
                .param("apimodels.db.jndi", "java:comp/env/jdbc/apimodels")
                .param("apimodels.data-dir", data.toString()));
        try {
            assertThat(app.started()).isTrue();
            assertThat(app.get("/health/ready").statusCode()).isEqualTo(200);
        } finally {
            app.undeploy();
        }
        assertThat(data.resolve("apimodels.mv.db")).as("no embedded database").doesNotExist();
        var h2 = new org.h2.jdbcx.JdbcDataSource(); // not DriverManager: the applications initialised it, with their drivers
        h2.setURL("jdbc:h2:file:" + database + Webapps.H2_MODE);
        try (var connection = h2.getConnection("sa", "");
             var tables = connection.getMetaData().getTables(null, null, "apimodels_schema_history", null)) {
            assertThat(tables.next()).as("the engine migrated the JNDI database").isTrue();
        }
    }

    @Test
    void aMissingJndiNameStopsTheDeploymentNamingTheKey() throws Exception {
        List<String> errors = new CopyOnWriteArrayList<>();
        Handler recorder = new Handler() {
            @Override
            public void publish(LogRecord record) {
                for (Throwable t = record.getThrown(); t != null; t = t.getCause()) {
                    errors.add(String.valueOf(t.getMessage()));
                }
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        Logger root = Logger.getLogger("");
        root.addHandler(recorder);
        try {
            var app = server.deploy(new Webapps.Spec("/jndi-missing")
                    .param("apimodels.db.jndi", "java:comp/env/jdbc/missing")
                    .param("apimodels.data-dir", dir.resolve("missing-data").toString()));
            assertThat(app.started()).isFalse();
            app.undeploy();
        } finally {
            root.removeHandler(recorder);
        }
        assertThat(errors).anySatisfy(message -> assertThat(message)
                .startsWith("apimodels.db.jndi: cannot look up 'java:comp/env/jdbc/missing'"));
    }

    @Test
    void readsMicroProfileConfigBeforeContextParameters() throws Exception {
        Path data = dir.resolve("mp-data");
        var app = server.deploy(new Webapps.Spec("/mp").withMicroProfileConfig()
                .classesFile("META-INF/microprofile-config.properties", String.join("\n",
                        "apimodels.base-path=/from-mp",
                        "apimodels.bootstrap.admin-key=" + ADMIN_KEY,
                        "apimodels.data-dir=" + data,
                        "apimodels.storage.dir=" + dir.resolve("mp-media")))
                .param("apimodels.base-path", "/from-param"));
        try {
            assertThat(app.started()).isTrue();
            assertThat(app.get("/from-mp/health/ready").statusCode()).isEqualTo(200);
            assertThat(app.get("/from-param/health/ready").statusCode()).isEqualTo(404);
            assertThat(app.get("/from-mp/admin/calls", "Authorization", "Bearer " + ADMIN_KEY).statusCode()).isEqualTo(200);
            assertThat(data.resolve("apimodels.mv.db")).exists();
            assertThat(dir.resolve("mp-media")).as("a plug-in setting listed through MicroProfile Config").isDirectory();
        } finally {
            app.undeploy();
        }
    }

    @Test
    void cdiInjectsTheMountedEngineAndItUsesTheApplicationsProviderBeans() throws Exception {
        Path catalog = dir.resolve("cdi-catalog.yaml");
        Files.writeString(catalog, """
                providers:
                  - { id: bean, type: probe-cdi, base-url: "http://localhost/unused", api-key: none }
                  - { id: loader, type: probe-loader, base-url: "http://localhost/unused", api-key: none }
                models:
                  - id: bean-chat
                    kind: chat
                    routes: [ { provider: bean, upstream-model: any } ]
                    price: { per-request: 0.001 }
                """);
        var app = server.deploy(new Webapps.Spec("/cdi").withCdi().withProbe()
                .engine(dir.resolve("cdi-data"), ADMIN_KEY, catalog));
        try {
            assertThat(app.started()).isTrue();
            assertThat(app.get("/probe").body()).isEqualTo("attribute=present cdi=same");

            app.grantCredits(ADMIN_KEY);
            var answer = app.chat(ADMIN_KEY, "bean-chat");
            assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
            assertThat(answer.body()).contains("answered by a CDI bean");

            // Plug-ins known only as beans are picked up beside ServiceLoader's (here a mailer).
            var plugins = app.get("/admin/plugins", "Authorization", "Bearer " + ADMIN_KEY);
            assertThat(plugins.statusCode()).isEqualTo(200);
            assertThat(plugins.body()).contains("\"mailers\":[\"probe-mail\"]").contains("probe-cdi").contains("probe-loader");
            // And says where each came from: beans through the builder, jars through ServiceLoader.
            assertThat(plugins.body()).contains("\"probe-cdi\":\"builder\"").contains("\"probe-loader\":\"service-loader\"")
                    .contains("\"storage\":{\"local\":\"service-loader\"}");
        } finally {
            app.undeploy();
        }
    }
}
