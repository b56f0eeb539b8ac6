package app.apimodels.servlet.probe;

import jakarta.enterprise.context.spi.CreationalContext;
import jakarta.enterprise.inject.spi.Bean;
import jakarta.enterprise.inject.spi.BeanManager;
import jakarta.servlet.ServletContext;

/** Touched only in applications with CDI. */
final class ProbeCdi {

    /** Where Weld Servlet puts the bean manager. */
    static final String WELD_SERVLET_ATTRIBUTE = "org.jboss.weld.environment.servlet.jakarta.enterprise.inject.spi.BeanManager";

    private ProbeCdi() {
    }

    static Object injected(ServletContext ctx) {
        BeanManager beans = (BeanManager) ctx.getAttribute(WELD_SERVLET_ATTRIBUTE);
        Bean<?> bean = beans.resolve(beans.getBeans(EngineUser.class));
        CreationalContext<?> context = beans.createCreationalContext(bean);
        return ((EngineUser) beans.getReference(bean, EngineUser.class, context)).engine();
    }
}
