package app.apimodels.servlet.probe;

import jakarta.enterprise.context.spi.CreationalContext;
import jakarta.enterprise.inject.spi.Bean;
import jakarta.enterprise.inject.spi.BeanManager;
import jakarta.servlet.ServletContext;

/** Touched only in applications with CDI. */
final class ProbeCdi {

    private ProbeCdi() {
    }

    static Object injected(ServletContext ctx) {
        BeanManager beans = (BeanManager) ctx.getAttribute(BeanManager.class.getName());
        Bean<?> bean = beans.resolve(beans.getBeans(EngineUser.class));
        CreationalContext<?> context = beans.createCreationalContext(bean);
        return ((EngineUser) beans.getReference(bean, EngineUser.class, context)).engine();
    }
}
