package app.apimodels.console.operators;

import app.apimodels.core.failure.Failure;
import app.apimodels.core.web.Request;
import app.apimodels.core.web.Text;

/** Plug-ins (what was found and is in use) and background jobs (next and last runs, failures), with "run now" for sweeps. */
final class SystemPages extends OperatorSection {

    static final String JOBS = "/console/admin/jobs";
    static final String PLUGINS = "/console/admin/plugins";

    @Override
    void routes() {
        page("nav.ops.jobs", JOBS);
        page("nav.ops.plugins", PLUGINS);
        get(JOBS, r -> console.render(r, 200, "operators/jobs.jte", "ops.jobs.title", model(r, "jobs", services.jobs().report())));
        post(JOBS + "/{name}/run", this::run);
        get(PLUGINS, r -> console.render(r, 200, "operators/plugins.jte", "ops.plugins.title",
                model(r, "report", services.plugins().report())));
    }

    private void run(Request r) {
        String name = Text.checked("name", r.param("name"), 100);
        if (!services.jobs().runNow(name)) {
            throw Failure.notFound("job");
        }
        console.redirect(r, JOBS + "?done=ran");
    }
}
