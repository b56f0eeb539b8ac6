package app.apimodels.servlet;

import jakarta.servlet.ServletContainerInitializer;

import java.nio.file.Path;

/** {@link ClientGoneScenario} in embedded Tomcat: {@link TomcatConnections} notices. */
class ClientGoneOnTomcatTest extends ClientGoneScenario {

    @Override
    Container start(Path dir, ServletContainerInitializer initializer) throws Exception {
        return EmbeddedTomcat.start(dir, "", initializer);
    }
}
