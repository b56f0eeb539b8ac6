package app.apimodels.servlet.probe;

import app.apimodels.servlet.ApiModelsServlet;
import jakarta.servlet.ServletContainerInitializer;
import jakarta.servlet.ServletContext;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import java.io.IOException;
import java.util.Set;

/** Serves {@code /probe}: whether the engine is in the context attribute and whether CDI injects that same one. */
public class ProbeInitializer implements ServletContainerInitializer {

    @Override
    public void onStartup(Set<Class<?>> classes, ServletContext ctx) {
        ctx.addServlet("probe", new HttpServlet() {
            @Override
            protected void doGet(HttpServletRequest request, HttpServletResponse response) throws IOException {
                Object engine = ctx.getAttribute(ApiModelsServlet.ENGINE_ATTRIBUTE);
                String cdi = ctx.getAttribute(ProbeCdi.WELD_SERVLET_ATTRIBUTE) == null
                        ? "absent" : ProbeCdi.injected(ctx) == engine ? "same" : "different";
                response.setContentType("text/plain");
                response.getWriter().print("attribute=" + (engine == null ? "absent" : "present") + " cdi=" + cdi);
            }
        }).addMapping("/probe");
    }
}
