package app.apimodels.servlet;

import app.apimodels.core.ApiModels;
import app.apimodels.core.config.ConfigSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.Socket;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The servlet in front of a real engine on an in-memory database, through a real container and client. */
@Timeout(120)
class ApiModelsServletTest {

    private static final String ADMIN_KEY = "test-admin-key-123456";
    private static final HttpClient CLIENT = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    private static ApiModels engine;
    private static EmbeddedTomcat tomcat;

    @BeforeAll
    static void start(@TempDir Path baseDir) throws Exception {
        engine = ApiModels.builder().config(ConfigSource.of(Map.of(
                "apimodels.db.url", "jdbc:h2:mem:servlet-adapter-test;DB_CLOSE_DELAY=-1",
                "apimodels.bootstrap.admin-key", ADMIN_KEY))).build();
        tomcat = EmbeddedTomcat.start(baseDir, "/ctx", (classes, ctx) -> {
            ApiModelsMount.register(ctx, engine, "/api");
            // The way a container-instantiated servlet (web.xml) finds the engine.
            ctx.setAttribute(ApiModelsServlet.ENGINE_ATTRIBUTE, engine);
            var fromAttribute = ctx.addServlet("from-attribute", ApiModelsServlet.class);
            fromAttribute.setAsyncSupported(true);
            fromAttribute.addMapping("/attr/*");
        });
    }

    @AfterAll
    static void stop() throws Exception {
        if (tomcat != null) {
            tomcat.close();
        }
        if (engine != null) {
            engine.close();
        }
    }

    @Test
    void servesTheEngineBelowTheMount() throws Exception {
        assertThat(get("/ctx/api/health/live").statusCode()).isEqualTo(200);
    }

    @Test
    void findsTheEngineInTheServletContext() throws Exception {
        assertThat(get("/ctx/attr/health/live").statusCode()).isEqualTo(200);
    }

    @Test
    void answersUnknownRoutesWith404() throws Exception {
        assertThat(get("/ctx/api/no/such/route").statusCode()).isEqualTo(404);
    }

    @Test
    void refusesAnOversizeBodyWith413() throws Exception {
        long tooLarge = engine.maxBodyBytes() + 1;
        try (Socket socket = tomcat.sendHead("POST /ctx/api/v1/chat/completions HTTP/1.1\r\nHost: localhost\r\n"
                + "Authorization: Bearer " + ADMIN_KEY + "\r\nContent-Type: application/json\r\n"
                + "Content-Length: " + tooLarge + "\r\nConnection: close")) {
            assertThat(EmbeddedTomcat.readStatusLine(socket)).startsWith("HTTP/1.1 413");
        }
    }

    @Test
    void mountRejectsAMalformedBasePath() {
        assertThatThrownBy(() -> ApiModelsMount.register(null, engine, "api"))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ApiModelsMount.register(null, engine, "/api/"))
                .isInstanceOf(IllegalArgumentException.class);
    }

    private static HttpResponse<String> get(String path) throws Exception {
        return CLIENT.send(HttpRequest.newBuilder(tomcat.uri(path)).build(), HttpResponse.BodyHandlers.ofString());
    }
}
