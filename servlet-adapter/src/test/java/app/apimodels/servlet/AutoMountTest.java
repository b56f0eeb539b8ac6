package app.apimodels.servlet;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** The jar dropped into WEB-INF/lib of an application without MicroProfile Config or CDI. */
@Timeout(300)
class AutoMountTest {

    private static final String ADMIN_KEY = "auto-mount-admin-key-1234";

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
    void mountsTheApiAtTheBasePathWithItsOperationsEndpoints() throws Exception {
        Path data = dir.resolve("plain-data");
        var app = server.deploy(new Webapps.Spec("/plain")
                .param("apimodels.base-path", "/api/")
                .param("apimodels.data-dir", data.toString())
                .param("apimodels.bootstrap.admin-key", ADMIN_KEY));
        try {
            assertThat(app.started()).isTrue();

            var ready = app.get("/api/health/ready");
            assertThat(ready.statusCode()).isEqualTo(200);
            assertThat(ready.body().replace(" ", "")).startsWith("{\"status\":\"UP\",\"checks\":[");

            var openApi = app.get("/api/openapi.json");
            assertThat(openApi.statusCode()).isEqualTo(200);
            assertThat(openApi.headers().firstValue("Content-Type")).hasValueSatisfying(type -> assertThat(type).startsWith("application/json"));
            assertThat(openApi.body()).contains("\"openapi\"", "\"/v1/chat/completions\"", "\"/health/ready\"", "\"/metrics\"");

            var metrics = app.get("/api/metrics");
            assertThat(metrics.statusCode()).isEqualTo(200);
            assertThat(metrics.body()).contains("# TYPE apimodels_");

            assertThat(app.get("/api/admin/calls", "Authorization", "Bearer " + ADMIN_KEY).statusCode())
                    .as("the context parameter configured the engine").isEqualTo(200);
            assertThat(app.get("/health/ready").statusCode()).as("nothing outside the base path").isEqualTo(404);
            assertThat(data.resolve("apimodels.mv.db")).as("no server DataSource: the embedded database").exists();
        } finally {
            app.undeploy();
        }
    }

    @Test
    void theSwitchLeavesTheApplicationAlone() throws Exception {
        Path data = dir.resolve("off-data");
        var app = server.deploy(new Webapps.Spec("/off")
                .param("apimodels.auto-mount", "false")
                .param("apimodels.data-dir", data.toString()));
        try {
            assertThat(app.started()).isTrue();
            assertThat(app.get("/health/ready").statusCode()).isEqualTo(404);
            assertThat(app.get("/openapi.json").statusCode()).isEqualTo(404);
            assertThat(Files.exists(data)).as("no engine was built").isFalse();
        } finally {
            app.undeploy();
        }
    }

    @Test
    void withNothingConfiguredKeepsADurableDatabaseInTheServersDirectoryAndRefusesOneInMemory() throws Exception {
        var app = server.deploy(new Webapps.Spec("/defaults").param("apimodels.bootstrap.admin-key", ADMIN_KEY));
        Path data = Path.of(System.getProperty("catalina.base"), "data", "apimodels", "defaults");
        try {
            assertThat(app.started()).isTrue();
            assertThat(app.get("/health/ready").statusCode()).isEqualTo(200);
            assertThat(data.resolve("apimodels.mv.db")).as("the embedded database in Tomcat's base directory").exists();
            assertThat(data.resolve("key-pepper")).exists();
        } finally {
            app.undeploy();
        }

        var inMemory = server.deploy(new Webapps.Spec("/in-memory")
                .param("apimodels.db.url", "jdbc:h2:mem:in-memory")
                .param("apimodels.data-dir", dir.resolve("in-memory-data").toString()));
        try {
            assertThat(inMemory.started()).as("an in-memory database is refused").isFalse();
        } finally {
            inMemory.undeploy();
        }
        var allowed = server.deploy(new Webapps.Spec("/in-memory-allowed")
                .param("apimodels.db.url", "jdbc:h2:mem:in-memory-allowed")
                .param("apimodels.db.allow-in-memory", "true")
                .param("apimodels.data-dir", dir.resolve("allowed-data").toString()));
        try {
            assertThat(allowed.started()).as("unless allowed").isTrue();
        } finally {
            allowed.undeploy();
        }
    }
}
