package app.apimodels.servlet.probe;

import app.apimodels.core.ApiModels;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

/** An application bean that injects the engine. */
@ApplicationScoped
public class EngineUser {

    @Inject
    ApiModels engine;

    public ApiModels engine() {
        return engine;
    }
}
