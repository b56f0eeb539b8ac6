package app.apimodels.provider.openai;

import app.apimodels.core.transport.JdkHttpTransport;
import app.apimodels.spi.http.HttpTransport;
import app.apimodels.spi.http.TransportOptions;

class OpenAiMediaJdkTest extends OpenAiMediaTestBase {

    @Override
    protected HttpTransport newTransport() {
        return new JdkHttpTransport(TransportOptions.defaults());
    }
}
