package app.apimodels.servlet;

import app.apimodels.core.ApiModels;
import app.apimodels.core.config.ConfigException;
import app.apimodels.spi.mail.Mailer;
import app.apimodels.spi.payment.PaymentGateway;
import app.apimodels.spi.provider.ModelProvider;
import app.apimodels.spi.storage.MediaStorage;
import app.apimodels.spi.storage.MediaStorageFactory;
import jakarta.enterprise.context.spi.CreationalContext;
import jakarta.enterprise.inject.AmbiguousResolutionException;
import jakarta.enterprise.inject.Any;
import jakarta.enterprise.inject.spi.Bean;
import jakarta.enterprise.inject.spi.BeanManager;
import jakarta.enterprise.inject.spi.CDI;
import jakarta.servlet.ServletContext;

import javax.naming.InitialContext;
import javax.naming.NamingException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/** The application's CDI beans, for an engine built in a CDI-enabled web application. */
final class CdiBeans implements ContainerBeans {

    private static final System.Logger LOG = System.getLogger(CdiBeans.class.getName());

    private final BeanManager beans;
    /** Null when CDI runs without our extension (it did not see this jar). */
    private final ApiModelsExtension extension;
    private final List<CreationalContext<?>> handedOut = new ArrayList<>();

    private CdiBeans(BeanManager beans, ApiModelsExtension extension) {
        this.beans = beans;
        this.extension = extension;
    }

    static ContainerBeans find(ServletContext ctx) {
        BeanManager beans = beanManager(ctx);
        if (beans == null) {
            return NONE;
        }
        ApiModelsExtension extension = null;
        try {
            extension = beans.getExtension(ApiModelsExtension.class);
        } catch (IllegalArgumentException e) {
            LOG.log(System.Logger.Level.WARNING, "apimodels: CDI is active but did not load ApiModelsExtension; "
                    + "beans are used, but ApiModels cannot be injected");
        }
        return new CdiBeans(beans, extension);
    }

    /** Where Weld Servlet (Tomcat, Jetty) puts the bean manager. */
    private static final String WELD_SERVLET_ATTRIBUTE = "org.jboss.weld.environment.servlet." + BeanManager.class.getName();

    /**
     * Where each kind of container keeps it: Weld Servlet in a context attribute, full servers in
     * JNDI; {@link CDI#current()} as the last resort (it throws when no CDI container runs).
     */
    private static BeanManager beanManager(ServletContext ctx) {
        for (String attribute : List.of(WELD_SERVLET_ATTRIBUTE, BeanManager.class.getName())) {
            if (ctx.getAttribute(attribute) instanceof BeanManager beans) {
                return beans;
            }
        }
        try {
            InitialContext naming = new InitialContext();
            try {
                if (naming.lookup("java:comp/BeanManager") instanceof BeanManager beans) {
                    return beans;
                }
            } finally {
                naming.close();
            }
        } catch (NamingException e) {
            // not bound here
        }
        try {
            return CDI.current().getBeanManager();
        } catch (IllegalStateException e) {
            return null;
        }
    }

    @Override
    public Optional<ApiModels> applicationEngine() {
        if (extension == null || !extension.applicationProvidesEngine()) {
            return Optional.empty();
        }
        return one(ApiModels.class);
    }

    @Override
    public void contribute(ApiModels.Builder builder) {
        all(ModelProvider.class).forEach(builder::provider);
        all(MediaStorageFactory.class).forEach(builder::storageFactory);
        one(MediaStorage.class).ifPresent(builder::storage);
        all(PaymentGateway.class).forEach(builder::paymentGateway);
        all(Mailer.class).forEach(builder::mailer);
    }

    @Override
    public void built(ApiModels engine, Runnable close) {
        if (extension != null) {
            extension.engine(engine, close);
        }
    }

    @Override
    public synchronized void release() {
        for (CreationalContext<?> context : handedOut) {
            try {
                context.release();
            } catch (RuntimeException e) {
                // The container may already be shut down, and its beans destroyed with it.
                LOG.log(System.Logger.Level.DEBUG, "apimodels: releasing a bean failed: {0}", e);
            }
        }
        handedOut.clear();
    }

    /** Every bean of the type, whatever its qualifiers: plug-ins are told apart by their own names. */
    private <T> List<T> all(Class<T> type) {
        List<T> found = new ArrayList<>();
        for (Bean<?> bean : beans.getBeans(type, Any.Literal.INSTANCE)) {
            found.add(reference(bean, type));
        }
        return found;
    }

    /** The bean of the type that an injection point would get, if there is one. */
    private <T> Optional<T> one(Class<T> type) {
        Set<Bean<?>> candidates = beans.getBeans(type);
        if (candidates.isEmpty()) {
            return Optional.empty();
        }
        try {
            return Optional.of(reference(beans.resolve(candidates), type));
        } catch (AmbiguousResolutionException e) {
            throw new ConfigException("apimodels: several " + type.getSimpleName() + " beans " + names(candidates)
                    + "; keep one, or mark one @Alternative @Priority", e);
        }
    }

    private synchronized <T> T reference(Bean<?> bean, Class<T> type) {
        CreationalContext<?> context = beans.createCreationalContext(bean);
        handedOut.add(context);
        return type.cast(beans.getReference(bean, type, context));
    }

    private static List<String> names(Set<Bean<?>> candidates) {
        return candidates.stream().map(bean -> bean.getBeanClass().getName()).sorted().toList();
    }
}
