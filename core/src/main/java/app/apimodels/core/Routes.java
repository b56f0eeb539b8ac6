package app.apimodels.core;

import app.apimodels.core.api.AccountApi;
import app.apimodels.core.api.AnnouncementApi;
import app.apimodels.core.api.AdminApi;
import app.apimodels.core.api.LimitsApi;
import app.apimodels.core.api.AuthApi;
import app.apimodels.core.api.ModelsApi;
import app.apimodels.core.api.OpsApi;
import app.apimodels.core.api.RedemptionApi;
import app.apimodels.core.api.PrivacyApi;
import app.apimodels.core.billing.BillingApi;
import app.apimodels.core.reconciliation.ReconciliationApi;
import app.apimodels.core.api.PolicyApi;
import app.apimodels.core.jobs.Jobs;
import app.apimodels.core.media.MediaApi;
import app.apimodels.core.plugins.Plugins;
import app.apimodels.core.relay.Relay;
import app.apimodels.core.routing.RoutesApi;
import app.apimodels.core.tasks.TaskApi;
import app.apimodels.core.web.ApiException;
import app.apimodels.core.web.Router;
import app.apimodels.core.web.Router.Access;

import java.util.Map;

/** The route table: every endpoint of the engine, who may call it, and what answers it. */
final class Routes {

    private Routes() {
    }

    static void add(Router router, ModelsApi models, Relay relay, TaskApi taskApi, MediaApi mediaApi, AccountApi account,
                    AdminApi admin, LimitsApi limits, OpsApi ops, RedemptionApi redemption, PrivacyApi privacy, Jobs jobs,
                    Plugins plugins, BillingApi billing, ReconciliationApi reconciliation, AuthApi auth, PolicyApi policy,
                    AnnouncementApi announcements, RoutesApi routes) {
        router.add("GET", "/v1/models", Access.KEY, models::list)
                .add("GET", "/v1/models/{id}", Access.KEY, models::get)
                .add("POST", "/v1/chat/completions", Access.KEY, relay::chat)
                .add("POST", "/v1/embeddings", Access.KEY, relay::embeddings)
                .add("POST", "/v1/responses", Access.KEY, relay::responses)
                .add("POST", "/v1/audio/transcriptions", Access.KEY, relay::transcriptions)
                .add("POST", "/v1/messages", Access.KEY, relay::messages)
                .add("POST", "/v1/messages/count_tokens", Access.KEY, relay::countTokens)
                .add("POST", "/v1/images/generations", Access.KEY, taskApi::openAiImages)
                .add("POST", "/v1/audio/speech", Access.KEY, taskApi::openAiSpeech)
                .add("POST", "/api/v1/{kind}/generations", Access.KEY_OR_SESSION, taskApi::submit)
                .add("GET", "/api/v1/{kind}/generations", Access.KEY_OR_SESSION, taskApi::get)
                .add("POST", "/api/v1/uploads", Access.KEY_OR_SESSION, mediaApi::upload)
                .add("GET", "/api/v1/uploads/{id}", Access.KEY_OR_SESSION, mediaApi::getUpload)
                .add("DELETE", "/api/v1/uploads/{id}", Access.KEY_OR_SESSION, mediaApi::deleteUpload)
                .add("GET", "/media/{id}", Access.PUBLIC, mediaApi::serve)
                .add("POST", "/webhooks/providers/{id}", Access.PUBLIC, taskApi::providerWebhook)
                .add("GET", "/api/v1/account/webhook-secret", Access.KEY_OR_SESSION, taskApi::webhookSecret)
                .add("POST", "/api/v1/account/webhook-secret", Access.KEY_OR_SESSION, taskApi::webhookSecret)
                .add("GET", "/api/v1/account", Access.ACCOUNT, account::account)
                .add("PATCH", "/api/v1/account", Access.KEY_OR_SESSION, privacy::patch)
                .add("DELETE", "/api/v1/account", Access.KEY_OR_SESSION, privacy::delete)
                .add("GET", "/api/v1/account/export", Access.KEY_OR_SESSION, privacy::export)
                .add("POST", "/api/v1/account/restriction", Access.KEY_OR_SESSION, privacy::restriction)
                .add("GET", "/api/v1/account/sessions", Access.ACCOUNT, auth::listSessions)
                .add("POST", "/api/v1/account/sessions/revoke-all", Access.ACCOUNT, auth::endAllSessions)
                .add("POST", "/api/v1/account/policy", Access.ACCOUNT, policy::accept)
                .add("GET", "/api/v1/account/usage", Access.KEY_OR_SESSION, account::usage)
                .add("GET", "/api/v1/account/spend", Access.KEY_OR_SESSION, account::spend)
                .add("GET", "/api/v1/account/tasks", Access.KEY_OR_SESSION, taskApi::list)
                .add("GET", "/api/v1/account/files", Access.KEY_OR_SESSION, mediaApi::list)
                .add("GET", "/api/v1/account/ledger", Access.KEY_OR_SESSION, account::ledger)
                .add("GET", "/api/v1/account/keys", Access.KEY_OR_SESSION, account::listKeys)
                .add("POST", "/api/v1/account/keys", Access.KEY_OR_SESSION, account::createKey)
                .add("DELETE", "/api/v1/account/keys/{id}", Access.KEY_OR_SESSION, account::revokeKey)
                .add("POST", "/api/v1/billing/redeem", Access.KEY_OR_SESSION, redemption::redeem)
                .add("GET", "/admin/privacy-requests", Access.ADMIN, privacy::adminList)
                .add("GET", "/admin/privacy-requests/{id}", Access.ADMIN, privacy::adminGet)
                .add("POST", "/api/v1/billing/checkout", Access.KEY_OR_SESSION, billing::checkout)
                .add("GET", "/api/v1/billing/orders", Access.KEY_OR_SESSION, billing::orders)
                .add("GET", "/api/v1/billing/orders/{id}", Access.KEY_OR_SESSION, billing::order)
                .add("POST", "/webhooks/{type}", Access.PUBLIC, billing::webhook)
                .add("GET", "/admin/orders", Access.ADMIN, billing::search)
                .add("GET", "/admin/orders/{id}", Access.ADMIN, billing::adminOrder)
                .add("POST", "/admin/orders/{id}/refund", Access.ADMIN, billing::refund)
                .add("GET", "/admin/reconciliation", Access.ADMIN, reconciliation::report)
                .add("GET", "/auth/policy", Access.PUBLIC, policy::current)
                .add("POST", "/auth/signup", Access.PUBLIC, auth::signUp)
                .add("GET", "/auth/verify-email", Access.PUBLIC, auth::verifyEmail)
                .add("POST", "/auth/verify-email", Access.PUBLIC, auth::verifyEmail)
                .add("POST", "/auth/verify-email/resend", Access.PUBLIC, auth::resend)
                .add("GET", "/auth/confirm-email", Access.PUBLIC, auth::confirmEmail)
                .add("POST", "/auth/confirm-email", Access.PUBLIC, auth::confirmEmail)
                .add("POST", "/auth/login", Access.PUBLIC, auth::login)
                .add("GET", "/auth/session", Access.ACCOUNT, auth::currentSession)
                .add("POST", "/auth/logout", Access.ACCOUNT, auth::logout)
                .add("POST", "/auth/reset-password", Access.PUBLIC, auth::resetPassword)
                .add("POST", "/admin/policies", Access.ADMIN, policy::publish)
                .add("GET", "/admin/policies", Access.ADMIN, policy::list)
                .add("POST", "/admin/announcements", Access.ADMIN, announcements::send)
                .add("POST", "/admin/invites", Access.ADMIN, auth::invite)
                .add("POST", "/admin/users", Access.ADMIN, admin::createUser)
                .add("GET", "/admin/users", Access.ADMIN, admin::searchUsers)
                .add("PUT", "/admin/users/{id}/role", Access.ADMIN, admin::setRole)
                .add("POST", "/admin/users/{id}/suspension", Access.ADMIN, admin::suspend)
                .add("GET", "/admin/jobs", Access.ADMIN, admin::jobs)
                .add("GET", "/admin/users/{id}", Access.ADMIN, admin::getUser)
                .add("POST", "/admin/users/{id}/credits", Access.ADMIN, admin::grant)
                .add("POST", "/admin/users/{id}/keys", Access.ADMIN, admin::createKey)
                .add("GET", "/admin/users/{id}/limits", Access.ADMIN, limits::getAccount)
                .add("PUT", "/admin/users/{id}/limits", Access.ADMIN, limits::putAccount)
                .add("GET", "/admin/keys/{id}/limits", Access.ADMIN, limits::getKey)
                .add("PUT", "/admin/keys/{id}/limits", Access.ADMIN, limits::putKey)
                .add("GET", "/admin/calls", Access.ADMIN, admin::calls)
                .add("POST", "/admin/redemption-batches", Access.ADMIN, redemption::createBatch)
                .add("GET", "/admin/redemption-batches", Access.ADMIN, redemption::listBatches)
                .add("GET", "/admin/redemption-batches/{id}", Access.ADMIN, redemption::getBatch)
                .add("POST", "/admin/redemption-batches/{id}/disable", Access.ADMIN, redemption::disableBatch)
                .add("POST", "/admin/redemption-codes/{id}/disable", Access.ADMIN, redemption::disableCode)
                .add("POST", "/admin/jobs/{name}/run", Access.ADMIN, r -> {
                    if (!jobs.runNow(r.param("name"))) {
                        throw new ApiException(404, "not_found", "no job '" + r.param("name") + "' (jobs: " + jobs.sweepNames() + ")");
                    }
                    r.json(200, Map.of("job", r.param("name"), "ran", true));
                })
                .add("GET", "/admin/plugins", Access.ADMIN, r -> r.json(200, plugins.report()))
                .add("GET", "/admin/catalog", Access.ADMIN, admin::getCatalog)
                .add("GET", "/admin/routes", Access.ADMIN, routes::list)
                .add("PUT", "/admin/catalog/providers/{id}", Access.ADMIN, admin::putProvider)
                .add("DELETE", "/admin/catalog/providers/{id}", Access.ADMIN, admin::deleteProvider)
                .add("PUT", "/admin/catalog/models/{id}", Access.ADMIN, admin::putModel)
                .add("DELETE", "/admin/catalog/models/{id}", Access.ADMIN, admin::deleteModel)
                .add("GET", "/health/live", Access.PUBLIC, ops::live)
                .add("GET", "/health/ready", Access.PUBLIC, ops::ready)
                .add("GET", "/metrics", Access.PUBLIC, ops::metrics)
                .add("GET", "/openapi.json", Access.PUBLIC, ops::openApi);
    }
}
