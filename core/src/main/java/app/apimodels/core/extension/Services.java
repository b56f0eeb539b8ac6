package app.apimodels.core.extension;

import app.apimodels.core.accounts.Accounts;
import app.apimodels.core.accounts.PasswordResets;
import app.apimodels.core.accounts.SignUps;
import app.apimodels.core.accounts.Throttle;
import app.apimodels.core.billing.Billing;
import app.apimodels.core.calllog.CallLog;
import app.apimodels.core.catalog.CatalogService;
import app.apimodels.core.config.Settings;
import app.apimodels.core.jobs.Jobs;
import app.apimodels.core.keys.ApiKeys;
import app.apimodels.core.ledger.Ledger;
import app.apimodels.core.limits.AbuseLimits;
import app.apimodels.core.mail.Announcements;
import app.apimodels.core.limits.ClientAddress;
import app.apimodels.core.media.MediaLinks;
import app.apimodels.core.media.MediaStore;
import app.apimodels.core.plugins.Plugins;
import app.apimodels.core.policies.Policies;
import app.apimodels.core.privacy.Erasure;
import app.apimodels.core.privacy.Exports;
import app.apimodels.core.privacy.PrivacyRequests;
import app.apimodels.core.privacy.Profiles;
import app.apimodels.core.privacy.Restrictions;
import app.apimodels.core.reconciliation.Reconciliation;
import app.apimodels.core.routing.Routing;
import app.apimodels.core.redemption.Redemptions;
import app.apimodels.core.sessions.Csrf;
import app.apimodels.core.sessions.Logins;
import app.apimodels.core.sessions.SessionCookie;
import app.apimodels.core.sessions.Sessions;
import app.apimodels.core.sessions.Site;
import app.apimodels.core.tasks.TaskService;

import java.time.Clock;

/**
 * The engine's services as an {@link Extension} sees them: the same objects the JSON API uses, so a
 * page calls a service directly (no HTTP round trip) and gets the same rules, limits and failures.
 * Services know nothing of HTTP and throw {@link app.apimodels.core.failure.Failure}; the engine
 * renders it (through {@link Extension#failure} on the extension's paths).
 *
 * <p>Grouped as the pages use them. A page that needs a service not here adds it (one component,
 * filled in where the engine wires it), rather than reaching around the engine.
 *
 * @param settings        every setting, read through {@link app.apimodels.core.config.Keys}
 * @param site            where people reach the service (the base of links, the origin changes must come from)
 * @param csrf            the origin and CSRF-token checks of browser changes
 * @param sessionCookie   the browser session cookie, as {@code POST /auth/login} sets and clears it
 * @param clientAddress   the client's address behind the trusted proxies (what throttles count against)
 * @param throttle        failed logins, bad links and reset requests per address and per client
 * @param signUps         sign-up (18+, policy acceptance) and the verification link
 * @param logins          password logins that open a browser session
 * @param passwordResets  reset links and setting a new password with one
 * @param ledger          balances, holds and transfers (reads for pages; grants go through it too)
 * @param callLog         the usage of calls (per account, per model, per day)
 * @param billing         checkout, orders, refunds
 * @param reconciliation  the daily reconciliation report
 * @param profiles        privacy: profile and consents; with {@code exports}, {@code erasure},
 *                        {@code privacyRequests} and {@code restrictions}
 * @param emailChange     a verified change of address: a link mailed to the new one ({@code PATCH /api/v1/account {email}})
 * @param limits          abuse limits (per key, account and address)
 * @param jobs            durable jobs (names, run now)
 * @param plugins         what plug-ins were found and are in use
 * @param routing         each route's breaker, error rate and latency as this node sees it
 * @param announcements   product news mailed to the people who agreed to it
 */
public record Services(Settings settings, Clock clock,
                       Site site, Csrf csrf, SessionCookie sessionCookie, Sessions sessions, ClientAddress clientAddress,
                       Throttle throttle, Accounts accounts, SignUps signUps, Logins logins, PasswordResets passwordResets,
                       Policies policies, ApiKeys keys, Ledger ledger, CallLog callLog,
                       Billing billing, Redemptions redemptions, Reconciliation reconciliation,
                       CatalogService catalog, TaskService tasks, MediaStore media, MediaLinks mediaLinks,
                       Profiles profiles, Profiles.EmailChange emailChange, Exports exports, Erasure erasure, PrivacyRequests privacyRequests,
                       Restrictions restrictions, AbuseLimits limits, Jobs jobs, Plugins plugins, Routing routing,
                       Announcements announcements) {
}
