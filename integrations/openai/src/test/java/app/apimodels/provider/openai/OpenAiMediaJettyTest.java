package app.apimodels.provider.openai;

import app.apimodels.spi.http.HttpTransport;
import app.apimodels.spi.http.TransportOptions;
import app.apimodels.transport.jetty.JettyHttpTransport;

class OpenAiMediaJettyTest extends OpenAiMediaTestBase {

    @Override
    protected HttpTransport newTransport() {
        return new JettyHttpTransport(TransportOptions.defaults());
    }
}
