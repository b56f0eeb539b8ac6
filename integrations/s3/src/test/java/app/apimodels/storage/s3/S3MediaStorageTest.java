package app.apimodels.storage.s3;

import app.apimodels.spi.storage.MediaStorage;
import app.apimodels.testkit.MediaStorageContract;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

import java.util.Map;

class S3MediaStorageTest extends MediaStorageContract {

    private static S3ProxyServer server;

    @BeforeAll
    static void startS3Proxy() throws Exception {
        server = new S3ProxyServer();
    }

    @AfterAll
    static void stopS3Proxy() throws Exception {
        server.close();
    }

    @Override
    protected MediaStorage createStorage() {
        return new S3MediaStorageFactory().create(server.config(Map.of()));
    }

    @Override
    protected boolean handsOutReadUrls() {
        return true;
    }
}
