package app.apimodels.json;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.util.JsonRecyclerPools;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;

/**
 * The JSON mapper configuration every module of apimodels builds its mappers from: the engine, the
 * providers, and plug-ins that read or write JSON with Jackson should too.
 *
 * <p>Its buffers are pooled in the mapper, not in a thread-local (Jackson's default): inside a server
 * the request threads outlive the application, and a buffer left in one of their thread-locals keeps
 * the application's class loader alive after undeploy.
 *
 * <p>A mapper caches what it learnt about the classes it has seen, so each owner (a provider, the
 * engine) makes its own and drops it with itself, rather than all sharing one static instance that
 * would outlive them when this jar sits in a server's shared libraries.
 *
 * <p>Needs {@code jackson-databind} on the class path; nothing else in this module does.
 */
public final class JsonMappers {

    private JsonMappers() {
    }

    /** A builder with the shared configuration, for an owner that adds features of its own. */
    public static JsonMapper.Builder builder() {
        return JsonMapper.builder(JsonFactory.builder()
                .recyclerPool(JsonRecyclerPools.newConcurrentDequePool())
                .build());
    }

    /** A mapper with the shared configuration and nothing else (Jackson's defaults otherwise). */
    public static ObjectMapper create() {
        return builder().build();
    }
}
