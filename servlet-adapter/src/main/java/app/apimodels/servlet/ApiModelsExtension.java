package app.apimodels.servlet;

import app.apimodels.core.ApiModels;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.context.BeforeDestroyed;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.spi.AfterBeanDiscovery;
import jakarta.enterprise.inject.spi.Extension;
import jakarta.enterprise.inject.spi.ProcessBean;
import jakarta.inject.Singleton;

/**
 * Makes the auto-mounted engine injectable ({@code @Inject ApiModels}). Registered through
 * {@code META-INF/services}, so the adapter jar need not be a bean archive. The bean is the very
 * engine the servlet serves; it exists once the application has started (the engine is built when
 * the web application initialises). An application that declares its own {@code ApiModels} bean
 * keeps it, and the auto-mount serves that one instead of building another.
 */
public final class ApiModelsExtension implements Extension {

    private volatile boolean applicationProvidesEngine;
    private volatile ApiModels engine;
    private volatile Runnable beforeShutdown;

    void noticeEngineBean(@Observes ProcessBean<?> event) {
        // Our own bean is announced too (after we added it): it is not the application's.
        if (event.getBean().getBeanClass() != ApiModelsExtension.class && event.getBean().getTypes().contains(ApiModels.class)) {
            applicationProvidesEngine = true;
        }
    }

    void addEngineBean(@Observes AfterBeanDiscovery event) {
        if (applicationProvidesEngine) {
            return;
        }
        // A singleton, not application scoped: the engine class is final, so it cannot be proxied.
        event.addBean()
                .types(ApiModels.class, Object.class)
                .scope(Singleton.class)
                .createWith(creationalContext -> engine())
                // The web application's lifecycle owns the engine and closes it.
                .destroyWith((instance, creationalContext) -> { });
    }

    /** The engine must stop while the beans it uses (providers, storage) still exist. */
    void closeEngineFirst(@Observes @BeforeDestroyed(ApplicationScoped.class) Object event) {
        Runnable close = beforeShutdown;
        if (close != null) {
            close.run();
        }
    }

    boolean applicationProvidesEngine() {
        return applicationProvidesEngine;
    }

    void engine(ApiModels engine, Runnable beforeShutdown) {
        this.engine = engine;
        this.beforeShutdown = beforeShutdown;
    }

    private ApiModels engine() {
        ApiModels current = engine;
        if (current == null) {
            throw new IllegalStateException("The apimodels engine is built when the web application starts; it is "
                    + "not available yet (or apimodels.auto-mount=false). Inject it into beans used once the "
                    + "application runs, or look it up lazily with Instance<ApiModels>.");
        }
        return current;
    }
}
