package app.apimodels.provider.openai;

import app.apimodels.core.transport.JdkHttpTransport;
import app.apimodels.spi.http.HttpTransport;
import app.apimodels.spi.http.TransportOptions;

class OpenAiClientJdkTest extends OpenAiClientTestBase {

    @Override
    protected HttpTransport newTransport() {
        return new JdkHttpTransport(TransportOptions.defaults());
    }
}
