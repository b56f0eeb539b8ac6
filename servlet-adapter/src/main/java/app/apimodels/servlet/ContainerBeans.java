package app.apimodels.servlet;

import app.apimodels.core.ApiModels;
import jakarta.servlet.ServletContext;

import java.util.Optional;

/**
 * The application's own beans for the engine: what a dependency-injection container (CDI) has, or
 * nothing. Keeps CDI types out of the classes that run without CDI.
 */
interface ContainerBeans {

    ContainerBeans NONE = new ContainerBeans() {
    };

    /** The application's CDI container, if it has one, else {@link #NONE}. */
    static ContainerBeans of(ServletContext ctx) {
        return Libraries.present("jakarta.enterprise.inject.spi.BeanManager") ? CdiBeans.find(ctx) : NONE;
    }

    /** An engine the application produces itself, to be mounted instead of building one. */
    default Optional<ApiModels> applicationEngine() {
        return Optional.empty();
    }

    /** Hands the application's plug-in beans (providers, storage) to the engine being built. */
    default void contribute(ApiModels.Builder builder) {
    }

    /**
     * Makes {@code engine} the one injected, and arranges for {@code close} to run before the
     * container destroys the beans the engine uses.
     */
    default void built(ApiModels engine, Runnable close) {
    }

    /** Lets go of the beans handed to the engine, after it closed. */
    default void release() {
    }
}
