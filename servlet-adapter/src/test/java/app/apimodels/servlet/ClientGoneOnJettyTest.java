package app.apimodels.servlet;

import jakarta.servlet.ServletContainerInitializer;

import java.nio.file.Path;

/** {@link ClientGoneScenario} in embedded Jetty 12 (ee10): {@link JettyConnections} notices. */
class ClientGoneOnJettyTest extends ClientGoneScenario {

    @Override
    Container start(Path dir, ServletContainerInitializer initializer) throws Exception {
        return EmbeddedJetty.start("", initializer);
    }
}
