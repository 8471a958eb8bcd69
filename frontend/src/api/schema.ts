// Generated from openapi/system-ops-runbooks.openapi.yaml by `npm run gen:api` — do not edit.
// Change the backend's #[utoipa::path] annotations, run `make openapi`, then regenerate.

export interface paths {
    "/healthz": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Liveness probe.
         * @description Answers 200 while the process is up and serving HTTP. It reads nothing else (not even the
         *     database), so an orchestrator restarts the process only when the process itself is stuck.
         *
         *     Who may call it: anyone; no credentials (served at the root, outside both planes). Changes
         *     nothing.
         */
        get: operations["healthz"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/metrics": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Prometheus metrics.
         * @description HTTP requests and their latency by method, route pattern and status; runs by status; queued and
         *     running jobs; job durations. The run and job gauges are read from the database on each scrape.
         *     Label values are bounded whatever a client sends (unknown methods count as `other`, unmatched
         *     paths as `unmatched`).
         *
         *     Who may call it: with `METRICS_TOKEN` configured, a scraper sending `Authorization: Bearer
         *     <METRICS_TOKEN>` (else 401); without it, loopback clients only (else 404), the client address
         *     resolved through `TRUSTED_PROXIES`. Changes nothing.
         */
        get: operations["metrics"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/readyz": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Readiness probe.
         * @description Answers 200 when the database answers a trivial query, and a 503 problem document while it is
         *     unreachable, so a load balancer stops sending requests to a process that cannot serve them.
         *
         *     Who may call it: anyone; no credentials (served at the root, outside both planes). Changes
         *     nothing.
         */
        get: operations["readyz"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/system/api/audit-events": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * The audit log.
         * @description Audit events, newest first, paginated, filtered by exact `action`, `actor` username and creation
         *     time; a filter that does not parse is 422 naming it.
         *
         *     Who may call it: an operator with `audit.view`. Changes nothing.
         */
        get: operations["audit_events"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/system/api/audit-events.csv": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Export the audit log as CSV.
         * @description Every audit event matching the audit log's filters, newest first, as CSV (`audit-events.csv`):
         *     one column per JSON name of an event, `metadata` as JSON text; a cell a spreadsheet would read
         *     as a formula gets a leading `'`. Streamed page by page, however many events match.
         *
         *     Who may call it: an operator with `audit.view`. Changes nothing.
         */
        get: operations["audit_events.csv_export"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/system/api/auth/login": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Sign an operator in.
         * @description Checks the username and password and starts a new session: a new session id in the
         *     `tp_system_session` cookie (HttpOnly, SameSite=Strict, Secure unless disabled) and a new CSRF
         *     token in the body. Limited to 10 attempts per minute per client IP and username, 30 failed
         *     attempts per client IP whatever the username (`LOGIN_FAILURES_PER_IP_PER_MINUTE`), and 50 per
         *     username across addresses; an unknown user and a wrong password get the same 401, in body and
         *     in timing. A cross-site attempt (`Sec-Fetch-Site: cross-site`, a foreign `Origin`) is 403.
         *
         *     Who may call it: anyone; no credentials. Changes: creates a session, counts the attempt in the
         *     login throttle, and writes an audit event (`auth.login.succeeded`, `auth.login.failed`,
         *     `auth.login.throttled`; refusals by the limiter or the cross-site check as
         *     `auth.login.refused`).
         */
        post: operations["login"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/system/api/auth/logout": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Sign out.
         * @description Ends the current session: its row is deleted and the cookie cleared. With a bearer token there
         *     is no session and nothing happens (revoke the token instead).
         *
         *     Who may call it: any signed-in operator (with the session cookie, the `X-CSRF-Token` header
         *     too). Changes: deletes the session; audit `auth.logout`.
         */
        post: operations["logout"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/system/api/auth/me": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * The signed-in operator.
         * @description The operator (id, username, display name, capabilities) and the session's CSRF token. Without
         *     credentials the answer is 401 (the console asks `auth/session`, which answers nulls instead).
         *
         *     Who may call it: any signed-in operator, by session or API token; no capability needed. Changes
         *     nothing.
         */
        get: operations["me"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/system/api/auth/password": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Change the signed-in operator's password.
         * @description The new password must be 12–256 characters, must not contain the username and must not be a
         *     common password. A wrong current password is a 422 on `current_password` and counts for the
         *     login throttle (429 beyond it).
         *
         *     Who may call it: the signed-in operator, by session only (a bearer token gets 403), with the
         *     `X-CSRF-Token` header. Changes: the operator's password; every other session and every API token
         *     of the operator ends; this session stays signed in with a new session id; audit
         *     `auth.password.changed`.
         */
        post: operations["change_password"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/system/api/auth/session": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * The signed-in operator, if any.
         * @description The signed-in operator and CSRF token, or nulls when nobody is signed in: public like login, so
         *     a console page load never logs a 401. Scripts keep `auth/me`, which answers 401 without
         *     credentials.
         *
         *     Who may call it: anyone; no credentials needed. Changes nothing.
         */
        get: operations["session"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/system/api/auth/tokens": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * List the caller's API tokens.
         * @description The caller's own API tokens, newest first, revoked ones included and marked. The JWTs themselves
         *     are never shown again.
         *
         *     Who may call it: a signed-in operator, by session only (a bearer token gets 403). Changes
         *     nothing.
         */
        get: operations["list_tokens"];
        put?: never;
        /**
         * Create an API token.
         * @description Creates a named API token (HS256 JWT, `aud=system`) with an expiry of at most 90 days and a
         *     subset of the caller's capabilities. The JWT is in this response only.
         *
         *     Who may call it: a signed-in operator, by session only (a bearer token gets 403, so a leaked
         *     token cannot mint a longer-lived child), with the `X-CSRF-Token` header. Changes: a new row in
         *     `api_tokens`; audit `auth.token.created`.
         */
        post: operations["create_token"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/system/api/auth/tokens/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /**
         * Revoke one of the caller's API tokens.
         * @description Revokes one of the caller's own tokens; revoking it again succeeds (idempotent). Another
         *     operator's token is 404.
         *
         *     Who may call it: the token's owner, by session only (a bearer token gets 403), with the
         *     `X-CSRF-Token` header. Changes: the token is revoked (requests carrying it get 401, its open
         *     event streams end within 5 s); audit `auth.token.revoked`.
         */
        delete: operations["revoke_token"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/system/api/notifications": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * List the operator's notifications.
         * @description The signed-in operator's own notifications (an `OperationRunCompleted` for each run they started
         *     that completed), newest first, paginated, with the unread count.
         *
         *     Who may call it: any signed-in operator; no capability needed. Changes nothing.
         */
        get: operations["list_notifications"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/system/api/notifications/read-all": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Mark the operator's notifications read.
         * @description Marks the operator's unread notifications read (all, or those up to `up_to_id`, so a
         *     notification that arrived after the list was shown stays unread) and answers the new unread
         *     count. Repeating it marks nothing.
         *
         *     Who may call it: any signed-in operator (with the session cookie, the `X-CSRF-Token` header
         *     too). Changes: the read time of the operator's own notifications only.
         */
        post: operations["read_all"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/system/api/notifications/{id}/read": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Mark a notification read.
         * @description Marks one of the operator's own notifications read; marking it again changes nothing. Another
         *     operator's notification is 404.
         *
         *     Who may call it: any signed-in operator (with the session cookie, the `X-CSRF-Token` header
         *     too). Changes: the notification's read time.
         */
        post: operations["read_notification"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/system/api/openapi.json": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * The operator plane's OpenAPI document.
         * @description This contract as JSON: the document committed as `openapi/system-ops-runbooks.openapi.yaml`,
         *     generated from the handlers' annotations.
         *
         *     Who may call it: anyone; no credentials. Changes nothing.
         */
        get: operations["system_openapi"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/system/api/ops/health": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * The database health gate.
         * @description Whether tenants start now: `healthy`; `throttled` while an indicator is over its threshold
         *     (or has not been under it for `HEALTH_RECOVERY_SAMPLES` samples yet), with the `reason`; or
         *     `stale` when no sampler has sampled for three intervals (a stale gate holds nothing). Every
         *     indicator as last sampled, with its value, threshold, whether the service's role can read it
         *     (`available`; PostgreSQL's need `pg_monitor`) and whether it is `over`.
         *
         *     Who may call it: an operator with `ops.runs.view`. Changes nothing.
         */
        get: operations["state"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/system/api/ops/health/samples": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * The health gate's samples.
         * @description Every indicator's samples since `since` (at most the last hour, which is all the sampler
         *     keeps), oldest first, and the gate's throttled episodes over that span: what the console
         *     draws against each threshold, with the episodes shaded.
         *
         *     Who may call it: an operator with `ops.runs.view`. Changes nothing.
         */
        get: operations["samples"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/system/api/ops/preflights/{preflight_id}/tenants": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * List a preflight's tenants.
         * @description Every tenant in a preflight's scope, by tenant id, with the findings it examined and would
         *     change there, per rule — the full plan behind the preflight's totals and sample. Kept after
         *     the preflight expires. `changes_only=true` keeps the tenants with a would-be change.
         *
         *     Who may call it: an operator with `ops.runbooks.view`. Changes nothing.
         */
        get: operations["tenants"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/system/api/ops/preflights/{preflight_id}/tenants.csv": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Export a preflight's tenants as CSV.
         * @description Every tenant in a preflight's scope with what would change there, as CSV
         *     (`preflight-<id>-tenants.csv`): one column per JSON name of the list's entries; a cell a
         *     spreadsheet would read as a formula gets a leading `'`. Streamed page by page.
         *
         *     Who may call it: an operator with `ops.runbooks.view`. Changes nothing.
         */
        get: operations["preflights_export"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/system/api/ops/runbooks": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * List the runbooks.
         * @description Every runbook of the catalogue (key, version, title, description, rules, parameters' schema,
         *     confirmation verb, whether it runs on deploy) with its active runs and its latest run
         *     (`last_run`, null when it never ran).
         *
         *     Who may call it: an operator with `ops.runbooks.view`. Changes nothing.
         */
        get: operations["runbooks_list"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/system/api/ops/runbooks/{key}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * One runbook.
         * @description A runbook of the catalogue by key, with its rules (`rule_details`), the JSON Schema of its
         *     parameters, its confirmation verb, its active runs and its latest run (`last_run`). An unknown
         *     key is 404.
         *
         *     Who may call it: an operator with `ops.runbooks.view`. Changes nothing.
         */
        get: operations["runbooks_detail"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/system/api/ops/runbooks/{key}/preflight": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Preflight a run.
         * @description Computes, read-only, what a run of this runbook over the scope and parameters would change:
         *     tenants in scope and with changes, findings examined and to change, changes per rule, a sample
         *     of before/after rows, an estimated duration, and the confirmation the start needs (the typed
         *     phrase for all tenants). Cite its `preflight_id` in the start within 15 minutes; only the
         *     operator who made it can cite it.
         *
         *     Who may call it: an operator with `ops.runbooks.view`. Changes: no host data; stores the
         *     preflight (what the start is checked against) and writes audit `runbook.preflighted`.
         */
        post: operations["preflight"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/system/api/ops/runbooks/{key}/runs": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Start a run.
         * @description Starts a run of the runbook over the scope of a fresh preflight: 201 + `Location` for a new run,
         *     200 with `deduplicated: true` for an identical active one, 409 when another active run overlaps.
         *     A start consumes its preflight: citing it again is refused (`preflight_used`) unless the
         *     identical run is still active. A preflight that found nothing to change starts only with
         *     `allow_no_changes: true`. Supports `Idempotency-Key` (a retry with the same key and body replays
         *     the first answer).
         *
         *     Who may call it: an operator with `ops.runbooks.run`; an all-tenants scope also needs
         *     `ops.runbooks.run_all_tenants` and the typed phrase. Every start needs a reason (a code and
         *     10–500 characters of text). Changes: creates the run (`queued`) and its fan-out job under the
         *     runbook's lock, marks the preflight used; audit `runbook.run.started` (or
         *     `runbook.run.deduplicated`). The workers then change the host data, one tenant at a time.
         */
        post: operations["start"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/system/api/ops/runs": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * List runs.
         * @description Runs, newest first, filtered by status, outcome, runbook, initiator (username), source, tenant
         *     (runs with an item for it) and creation time; an unknown filter is 422, never ignored. Each row
         *     carries its counts and `duration_seconds`.
         *
         *     Who may call it: an operator with `ops.runs.view`. Changes nothing.
         */
        get: operations["runs_list"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/system/api/ops/runs.csv": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Export runs as CSV.
         * @description Every run matching the run list's filters, newest first, as CSV (`runs.csv`): one column per
         *     JSON name of a run, flattened (`counts.total`); a cell a spreadsheet would read as a formula
         *     gets a leading `'`. Streamed page by page, however many runs match.
         *
         *     Who may call it: an operator with `ops.runs.view`. Changes nothing.
         */
        get: operations["runs.csv_export"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/system/api/ops/runs/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * One run.
         * @description A run with its counts, progress, ETA and stall. Send `If-None-Match` with the last `ETag` to get
         *     a cheap 304 while nothing changed (a run becoming stalled is a change, and so is a retry of a
         *     completed run or its outcome).
         *
         *     Who may call it: an operator with `ops.runs.view`. Changes nothing.
         */
        get: operations["runs_detail"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/system/api/ops/runs/{id}/cancel": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Cancel a run.
         * @description Cancels an active run (queued, running or paused) with a reason: pending items and items
         *     waiting for a retry become `cancelled`, running ones finish, and the run completes with
         *     outcome `cancelled`. A completed run, or one already being cancelled, is 409.
         *
         *     Who may call it: an operator with `ops.runs.cancel`. Changes: the run's unstarted items and
         *     their jobs; the run's outcome once its running items finish; audit `runbook.run.cancelled`.
         */
        post: operations["cancel"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/system/api/ops/runs/{id}/changes": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * List a run's changes.
         * @description Every row the run changed (its change log, docs/spec.md §15), by tenant and in the order
         *     written, paginated: the finding, the rules that changed it, and each column it changed with
         *     the value it overwrote (`before`) and the value it wrote (`after`). `tenant_id` keeps one
         *     tenant's. A run whose log has passed `CHANGE_LOG_RETENTION_DAYS` answers 410; the run view's
         *     `changes_available` says so beforehand.
         *
         *     Who may call it: an operator with `ops.runs.view`. Changes nothing.
         */
        get: operations["changes"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/system/api/ops/runs/{id}/events": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Stream a run's progress.
         * @description Server-Sent Events of one run: an `event: progress` (data: the run) whenever it changes, then
         *     `event: completed` (data: the final run) when it completes, and the stream ends. A stream also
         *     ends with `event: end` (data: `{"reason"}`: `session_ended`, `token_revoked`, `token_expired`,
         *     `operator_disabled`, `password_changed`, `capability_revoked` or `lifetime`) within 5 s of
         *     losing its authorization, and after `SSE_MAX_SECONDS` (default 1 h; reconnect). At most
         *     `SSE_MAX_PER_OPERATOR` (default 10) streams per operator and server process.
         *
         *     Who may call it: an operator with `ops.runs.view`. Changes nothing.
         */
        get: operations["run_events"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/system/api/ops/runs/{id}/items": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * List a run's items.
         * @description A run's per-tenant items, failed first, then retrying, then running, then by tenant,
         *     paginated; `status` filters them and `search` finds tenants by name or external id.
         *
         *     Who may call it: an operator with `ops.runs.view`. Changes nothing.
         */
        get: operations["items"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/system/api/ops/runs/{id}/items.csv": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Export a run's items as CSV.
         * @description Every item of a run matching the item list's filters, by tenant, as CSV (`run-<id>-items.csv`):
         *     one column per JSON name of an item; a cell a spreadsheet would read as a formula (tenant names
         *     come from customers) gets a leading `'`. Streamed page by page.
         *
         *     Who may call it: an operator with `ops.runs.view`. Changes nothing.
         */
        get: operations["runs_export"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/system/api/ops/runs/{id}/items/{item_id}/attempts": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * List an item's attempts.
         * @description Every attempt of one tenant's item, oldest first: when it started and ended, its error with
         *     the SQLSTATE when it failed, and the worker that ran it. An item that failed once and then
         *     succeeded lists both attempts, the first with its error (the item itself keeps only the
         *     last). An attempt handed back unfinished at a worker's shutdown is not counted in the item's
         *     `attempts` and not listed. An unknown run, or an item of another run, is 404.
         *
         *     Who may call it: an operator with `ops.runs.view`. Changes nothing.
         */
        get: operations["item_attempts"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/system/api/ops/runs/{id}/options": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        /**
         * Change a run's concurrency cap.
         * @description Slows an active run down (or speeds it up) without stopping it: the claim applies the new
         *     `max_concurrency` from the next job; items already running finish. A completed run is 409
         *     (`invalid_state`).
         *
         *     Who may call it: an operator with `ops.runs.control`. Changes: the run's options; audit
         *     `runbook.run.options_changed` (from, to, reason).
         */
        patch: operations["options"];
        trace?: never;
    };
    "/system/api/ops/runs/{id}/pause": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Pause a run.
         * @description Pauses a queued or running run with a reason: its status is `paused` at once and no further
         *     item starts, on any worker; items already running finish and count (`counts.running` shows
         *     them). The run keeps its lock. Resume it with `/resume`, or cancel it. A paused, completed or
         *     cancelling run is 409 (`invalid_state`), as is a run whose last items are already running.
         *
         *     Who may call it: an operator with `ops.runs.control`. Changes: the run's status and pause;
         *     audit `runbook.run.paused`.
         */
        post: operations["pause"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/system/api/ops/runs/{id}/resume": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Resume a run.
         * @description Resumes a paused run with a reason: it returns to `running` (`queued` when no tenant has
         *     started) and its items start again. Its failure budget counts afresh from here, and a wave
         *     that finished while it was paused is passed (the next wave starts). A run that is not
         *     paused, or is being cancelled, is 409 (`invalid_state`).
         *
         *     Who may call it: an operator with `ops.runs.control`. Changes: the run's status; audit
         *     `runbook.run.resumed`.
         */
        post: operations["resume"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/system/api/ops/runs/{id}/retry-failed": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Retry a run's failed tenants.
         * @description Starts a new run over the tenants of a completed run that are still failed — a tenant a later
         *     retry rebuilt is left out — under the same confirmation rules as a start (the phrase names the
         *     run's `retryable_tenants`). The new run's `retry_of` names this one; it takes its own
         *     `options` (docs/spec.md §13, and `drift_guard`); a retry of a revert run is a revert too.
         *     Supports `Idempotency-Key` as a start does.
         *
         *     Who may call it: an operator with `ops.runbooks.run` (and `ops.runbooks.run_all_tenants` when
         *     the run covered all tenants), with a reason. Changes: creates the new run and its jobs, as a
         *     start does; audit `runbook.run.started`.
         */
        post: operations["retry_failed"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/system/api/ops/runs/{id}/revert": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Revert a run.
         * @description Starts a **revert run** (`kind: revert`, `reverts_run_id`) from a fresh revert preflight: a
         *     normal run of the same runbook — its lock, items, counts, options, pause, audit,
         *     notification and alerts — over the tenants with change-log rows, whose tenant jobs put back
         *     the values the run overwrote, each row only if every column the run changed still holds the
         *     value it wrote (all of the row or none); the others are counted in `counts.conflicts`. It
         *     writes its own change log, so it can be reverted in turn (a redo). Supports
         *     `Idempotency-Key` as a start does.
         *
         *     Who may call it: an operator with the capabilities the run needed (`ops.runbooks.run`, and
         *     `ops.runbooks.run_all_tenants` when it covered all tenants), with a reason. Changes: creates
         *     the revert run and its jobs under the runbook's lock, marks the preflight used; audit
         *     `runbook.run.started` (with `reverts_run_id`).
         */
        post: operations["revert"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/system/api/ops/runs/{id}/revert/preflight": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Preflight a revert.
         * @description Read-only: reads the run's change log and tells, row by row, what a revert would restore
         *     (every column the run changed still holds the value it wrote), what is restored already, and
         *     what the application changed since (a **conflict**, left alone), with a sample of each. The
         *     answer's `preflight_id` is cited by `POST /ops/runs/{id}/revert` within 15 minutes; its
         *     `confirmation` names the phrase (`REVERT <n> TENANTS`) when the run covered all tenants.
         *
         *     Who may call it: an operator with `ops.runbooks.view`. Changes: stores the preflight; audit
         *     `runbook.preflighted` (`kind: revert`).
         */
        post: operations["revert_preflight"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/system/api/ops/runs/{id}/timeline": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * A run's throughput per minute.
         * @description One bucket per minute (UTC) from the run's start to its end, or to now while it runs, counting
         *     the items that succeeded and failed in that minute; empty minutes are included, except for a run
         *     that has not started (no buckets) or one longer than a week (only the minutes in which items
         *     finished).
         *
         *     Who may call it: an operator with `ops.runs.view`. Changes nothing.
         */
        get: operations["timeline"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/system/api/ops/tenants": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * List the targetable tenants.
         * @description Tenants a runbook can target, by name, paginated; `search` matches the name or the external id,
         *     `id` picks one tenant. The platform tenant is never listed.
         *
         *     Who may call it: an operator with `ops.runbooks.view`. Changes nothing.
         */
        get: operations["tenants_list"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/system/api/ops/tenants/lookup": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Look up a list of tenants.
         * @description Answers which tenants of a list (ids or external ids, as a `tenants` scope takes them)
         *     exist and can be targeted, and which do not — so the console shows an operator the ids it
         *     did not find before the preflight.
         *
         *     Who may call it: an operator with `ops.runbooks.view`. Changes nothing.
         */
        post: operations["lookup"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/system/api/ops/workspaces": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * List the workspaces.
         * @description Workspaces by name, paginated, each with how many tenants a runbook could target in it;
         *     `search` matches the name. A workspace scope (`{"kind": "workspace", "workspace_id"}`)
         *     covers those tenants as they are at its preflight.
         *
         *     Who may call it: an operator with `ops.runbooks.view`. Changes nothing.
         */
        get: operations["workspaces_list"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
}
export type webhooks = Record<string, never>;
export interface components {
    schemas: {
        /** @description An item's attempts, oldest first. */
        AttemptList: {
            /** @description Every attempt, oldest first. */
            items: components["schemas"]["AttemptView"][];
        };
        /** @description One attempt of an item, oldest first in [`AttemptList`] (docs/spec.md §21 wire format). */
        AttemptView: {
            /**
             * Format: int32
             * @description The attempt's number (1-based), as the item's `attempts` counts it.
             */
            attempt: number;
            /**
             * @description Why it failed: the database's message once, with its SQLSTATE when there is one (null
             *     for an attempt that succeeded or still runs).
             */
            error?: string | null;
            /** @description The SQLSTATE of the error, when it came from the database. */
            error_sqlstate?: string | null;
            /**
             * Format: date-time
             * @description When it ended (null while it runs).
             */
            finished_at?: string | null;
            /**
             * Format: date-time
             * @description When the attempt started.
             */
            started_at: string;
            /**
             * @description The worker that ran it: host, process id and the worker's index in its pool
             *     (`web-1 pid 4242 worker 0`); null when unknown.
             */
            worker?: string | null;
        };
        /** @description The typed confirmation an operator must give. */
        Confirmation: {
            /** @description The phrase to type, exactly. */
            phrase?: string | null;
            /** @description Whether a typed phrase is required (all-tenants starts). */
            required: boolean;
        };
        /**
         * @description A run's counters; `processed = succeeded + failed + skipped`. Cancelled items are not
         *     processed work: they count in `cancelled` alone.
         */
        Counts: {
            /**
             * Format: int64
             * @description Items cancelled before they ran (or while waiting for a retry).
             */
            cancelled: number;
            /**
             * Format: int64
             * @description A revert run's rows left alone over all items: the application changed them since the
             *     reverted run wrote them (0 for any other run).
             */
            conflicts: number;
            /**
             * Format: int64
             * @description Items failed.
             */
            failed: number;
            /**
             * Format: int64
             * @description Findings changed over all items.
             */
            findings_changed: number;
            /**
             * Format: int64
             * @description Items finished: succeeded, failed or skipped.
             */
            processed: number;
            /**
             * Format: int64
             * @description Items between attempts, waiting for a retry.
             */
            retrying: number;
            /**
             * Format: int64
             * @description Items started and not finished (in-flight; a paused run's finish and count).
             */
            running: number;
            /**
             * Format: int64
             * @description Items skipped (not applicable).
             */
            skipped: number;
            /**
             * Format: int64
             * @description Items rebuilt.
             */
            succeeded: number;
            /**
             * Format: int64
             * @description Items in the run.
             */
            total: number;
        };
        /** @description A token request. */
        CreateTokenRequest: {
            /** @description Capability names, a subset of the creator's. */
            capabilities: string[];
            /**
             * Format: int64
             * @description Lifetime in days, 1–90.
             */
            expires_in_days: number;
            /** @description A label (1–100 characters). */
            name: string;
        };
        /** @description A created token; `token` (the JWT) is shown only in this response. */
        CreatedTokenView: {
            /** @description Capability names. */
            capabilities: string[];
            /**
             * Format: date-time
             * @description Expiry.
             */
            expires_at: string;
            /**
             * Format: int64
             * @description Token id (to revoke it).
             */
            id: number;
            /** @description Label. */
            name: string;
            /** @description The bearer JWT. */
            token: string;
        };
        /** @description A throttled episode of the gate (`GET /ops/health/samples`). */
        Episode: {
            /**
             * Format: date-time
             * @description When it opened again; null while the episode lasts.
             */
            ended_at?: string | null;
            /** @description The indicator that closed it. */
            indicator: string;
            /**
             * Format: date-time
             * @description When the gate closed.
             */
            started_at: string;
        };
        /** @description How many items may fail before the run pauses itself. */
        FailureBudget: {
            /**
             * Format: int64
             * @description The run pauses once more than this many items have failed since it started or was last
             *     resumed (0 pauses it at the first failure).
             */
            max_failed: number;
        };
        /**
         * @description The gate's state.
         * @enum {string}
         */
        GateState: "healthy" | "throttled" | "stale";
        /** @description A probe's answer. */
        Health: {
            /** @description `ok` when healthy. */
            status: string;
        };
        /** @description The gate as `GET /ops/health` shows it. */
        HealthView: {
            /**
             * Format: int32
             * @description Healthy samples in a row.
             */
            healthy_streak: number;
            /** @description Every indicator as last sampled. */
            indicators: components["schemas"]["Reading"][];
            reason?: components["schemas"]["Reading"] | null;
            /**
             * Format: int32
             * @description Healthy samples in a row that end an episode (`HEALTH_RECOVERY_SAMPLES`).
             */
            recovery_samples: number;
            /**
             * Format: double
             * @description Seconds between samples (`HEALTH_SAMPLE_SECONDS`).
             */
            sample_every_seconds: number;
            /**
             * Format: date-time
             * @description When the last sample was taken (null before the first).
             */
            sampled_at?: string | null;
            /**
             * Format: date-time
             * @description Since when it has been in that state (for `stale`: since the last sample).
             */
            since: string;
            /** @description `healthy`, `throttled` or `stale`. */
            state: components["schemas"]["GateState"];
        };
        /** @description The operator who started a run. */
        InitiatorView: {
            /**
             * Format: int64
             * @description Operator id.
             */
            id: number;
            /** @description Operator username. */
            username: string;
        };
        /**
         * @description State of one tenant's item.
         * @enum {string}
         */
        ItemStatus: "pending" | "running" | "retrying" | "succeeded" | "failed" | "skipped" | "cancelled";
        /** @description The latest run of a runbook, as its catalogue entry shows it (docs/spec.md §21). */
        LastRun: {
            /**
             * Format: date-time
             * @description When it completed (null while it is active).
             */
            completed_at?: string | null;
            /**
             * Format: int64
             * @description Run id.
             */
            id: number;
            outcome?: components["schemas"]["Outcome"] | null;
            /** @description `queued`, `running`, `paused` or `completed`. */
            status: components["schemas"]["RunStatus"];
        };
        /** @description Credentials. */
        LoginRequest: {
            /** @description Password. */
            password: string;
            /** @description Username (case-insensitive). */
            username: string;
        };
        /**
         * @description A list of tenants to look up: `tenant_ids` or `external_ids` (one of them), 1–10,000 after
         *     deduplication — the same list a `tenants` scope takes.
         */
        LookupBody: {
            /** @description External ids. */
            external_ids?: string[] | null;
            /** @description Tenant ids. */
            tenant_ids?: number[] | null;
        };
        /** @description What a list names. */
        LookupResult: {
            /** @description The targetable tenants it names, by id. */
            found: components["schemas"]["TenantView"][];
            /** @description What names no tenant, as sent (deduplicated, sorted). */
            missing: string[];
            /** @description The platform tenant, as sent, when the list names it (never a runbook target). */
            platform?: string | null;
        };
        /** @description The items that finished in one minute. */
        MinuteBucket: {
            /**
             * Format: int64
             * @description Items that failed in it.
             */
            failed: number;
            /**
             * Format: date-time
             * @description The minute's start (UTC).
             */
            minute: string;
            /**
             * Format: int64
             * @description Items that succeeded in it.
             */
            succeeded: number;
        };
        /** @description A page of notifications and the unread count. */
        NotificationPage: {
            /** @description Notifications, newest first. */
            items: components["schemas"]["NotificationView"][];
            /**
             * Format: int64
             * @description Page number.
             */
            page: number;
            /**
             * Format: int64
             * @description Page size.
             */
            per_page: number;
            /**
             * Format: int64
             * @description All notifications.
             */
            total: number;
            /**
             * Format: int64
             * @description Unread notifications.
             */
            unread: number;
        };
        /** @description A notification (wire format). */
        NotificationView: {
            /** @description One sentence. */
            body: string;
            /**
             * Format: date-time
             * @description Created.
             */
            created_at: string;
            /** @description Extra data (outcome, counts, link). */
            data: Record<string, unknown>;
            /**
             * Format: int64
             * @description Id.
             */
            id: number;
            /** @description `OperationRunCompleted` or `OperationRunPaused`. */
            kind: string;
            /**
             * Format: date-time
             * @description When it was read (null = unread).
             */
            read_at?: string | null;
            /**
             * Format: int64
             * @description The run it is about.
             */
            run_id?: number | null;
            /** @description Short title. */
            title: string;
        };
        /**
         * @description The signed-in operator and the CSRF token their unsafe requests must echo in
         *     `X-CSRF-Token` (null when authenticated by bearer token, which needs none).
         */
        OperatorSession: {
            /** @description The session's CSRF token. */
            csrf_token?: string | null;
            /** @description Who. */
            operator: components["schemas"]["OperatorView"];
        };
        /** @description An operator as the API shows them. */
        OperatorView: {
            /** @description Capability names held (for a token: the token's). */
            capabilities: string[];
            /** @description Display name. */
            display_name: string;
            /**
             * Format: int64
             * @description Operator id.
             */
            id: number;
            /** @description Username. */
            username: string;
        };
        /** @description The options an active run's operator may change, with a reason. */
        OptionsBody: {
            /**
             * Format: int64
             * @description At most this many of the run's items run at once (1–256); `null` removes the cap.
             */
            max_concurrency?: number | null;
            /** @description Why (10–500 characters). */
            reason: string;
        };
        /**
         * @description How a completed run ended.
         * @enum {string}
         */
        Outcome: "succeeded" | "partially_succeeded" | "failed" | "cancelled";
        /** @description A password change of the signed-in operator. */
        PasswordChangeRequest: {
            /** @description The password in use now. */
            current_password: string;
            /** @description The new password: 12–256 characters, not containing the username, not a common password. */
            new_password: string;
        };
        /**
         * @description Why a run is paused (docs/spec.md §13).
         * @enum {string}
         */
        PauseReason: "operator" | "failure_budget" | "wave_gate";
        /** @description Why a run is paused, by whom and since when (the run view's `pause`). */
        PauseView: {
            by?: components["schemas"]["InitiatorView"] | null;
            /** @description `operator`, `failure_budget` or `wave_gate`. */
            reason: components["schemas"]["PauseReason"];
            /**
             * Format: date-time
             * @description When it paused.
             */
            since: string;
            /** @description The operator's reason, or what the run says about its own pause. */
            text?: string | null;
        };
        /** @description Preflight request. */
        PreflightBody: {
            /** @description The runbook's parameters (see the runbook's `parameters` schema; default `{}`). */
            parameters?: Record<string, unknown> | null;
            /** @description The scope to examine. */
            scope: components["schemas"]["Scope"];
        };
        /** @description A preflight's result (docs/spec.md §6 wire format). */
        PreflightResult: {
            /**
             * @description Changes per rule (a finding may count under several).
             * @example {
             *       "R1": 3,
             *       "R2": 0,
             *       "R3": 1,
             *       "R4": 0,
             *       "R5": 2,
             *       "R6": 4,
             *       "R7": 0
             *     }
             */
            changes_by_rule: {
                [key: string]: number;
            };
            /** @description Typed confirmation requirement. */
            confirmation: components["schemas"]["Confirmation"];
            /**
             * Format: int64
             * @description Estimated run time with the configured workers.
             */
            estimated_seconds: number;
            /**
             * Format: date-time
             * @description When the preflight expires.
             */
            expires_at: string;
            /**
             * Format: int64
             * @description Findings examined.
             */
            findings_examined: number;
            /**
             * Format: int64
             * @description Findings that would change.
             */
            findings_to_change: number;
            /** @description `run`: a preflight of the runbook's repair (a revert preflight is `revert`). */
            kind?: components["schemas"]["RunKind"];
            /** @description The runbook's parameters, parsed (defaults filled in); a start must send the same. */
            parameters: Record<string, unknown>;
            /**
             * Format: date-time
             * @description The instant of this preflight: the "now" a run started from it uses (e.g. as
             *     `closed_at`), for every tenant and every retry.
             */
            planned_at: string;
            /** @description Cite it when starting; expires at `expires_at`. */
            preflight_id: string;
            /** @description Runbook key. */
            runbook: string;
            /**
             * @description A few would-be changes, before and after, each naming its tenant (`finding_id`,
             *     `tenant_id`, `tenant_external_id`, `tenant_name`, `rules`, `before`, `after`, and
             *     optionally `context`: unchanged fields that made the rule apply, e.g. Close Stale's
             *     `severity` and `last_seen_at`).
             */
            sample: Record<string, unknown>[];
            /**
             * @description The scope examined, resolved (`RunScope`: a list shows its first 100 tenants and
             *     `count`, a workspace its name).
             */
            scope: components["schemas"]["ScopeView"];
            /**
             * Format: int64
             * @description Tenants in scope.
             */
            tenants_in_scope: number;
            /**
             * Format: int64
             * @description Tenants with at least one change.
             */
            tenants_with_changes: number;
        };
        /** @description An RFC 9457 problem document. */
        Problem: {
            /**
             * Format: int64
             * @description The active run that blocks a start (409 only).
             */
            active_run_id?: number | null;
            /**
             * @description A stable name of the refusal for scripts, where one exists (e.g. `preflight_used`,
             *     `no_changes`).
             */
            code?: string | null;
            /** @description Human-readable explanation of this occurrence. */
            detail: string;
            /** @description Field errors (422 only). */
            errors?: {
                [key: string]: string[];
            } | null;
            /**
             * Format: int32
             * @description The HTTP status code.
             */
            status: number;
            /** @description Short, human-readable summary of the problem type. */
            title: string;
            /** @description A URI reference naming the problem type (`about:blank` for plain HTTP statuses). */
            type: string;
        };
        /** @description What marking every notification read did. */
        ReadAll: {
            /**
             * Format: int64
             * @description Notifications marked read by this request.
             */
            marked: number;
            /**
             * Format: int64
             * @description The operator's unread notifications now (0 unless one arrived meanwhile).
             */
            unread: number;
        };
        /** @description One indicator's reading. */
        Reading: {
            /** @description Whether the service's role can read it (an unavailable indicator never gates). */
            available: boolean;
            /**
             * @description `oldest_transaction_seconds`, `replication_lag_seconds`, `lock_waiters`,
             *     `wraparound_autovacuum` or `external_check`.
             */
            name: string;
            /** @description Whether it is over its threshold (gating). */
            over: boolean;
            /**
             * Format: double
             * @description The threshold it is held against.
             */
            threshold: number;
            /**
             * Format: double
             * @description The value read (`null` when unavailable).
             */
            value?: number | null;
        };
        /** @description A reason as sent. */
        ReasonBody: {
            /** @description `data_repair`, `incident`, `migration`, `support_request` or `other`. */
            code: string;
            /** @description 10–500 characters. */
            text: string;
        };
        /**
         * @description Why an operator runs a runbook.
         * @enum {string}
         */
        ReasonCode: "data_repair" | "incident" | "migration" | "support_request" | "other";
        /** @description A run's reason. */
        ReasonView: {
            /** @description Reason code. */
            code: components["schemas"]["ReasonCode"];
            /** @description Reason text. */
            text: string;
        };
        /** @description Retry-failed request. */
        RetryBody: {
            /** @description For an all-tenants run: `REBUILD <retryable_tenants> TENANTS`. */
            confirmation?: string | null;
            /** @description Run control's options for the retry (docs/spec.md §13; `drift_guard` of §15). */
            options?: components["schemas"]["RunOptions"];
            reason?: components["schemas"]["ReasonBody"] | null;
        };
        /**
         * @description What a retry-failed of a run needs confirmed (docs/spec.md §21), shown on the run view as
         *     `retry_confirmation`.
         */
        RetryConfirmation: {
            /** @description The runbook's verb and the tenants to retry, e.g. `CLOSE STALE IN 2 TENANTS`. */
            phrase: string;
            /** @description Whether the retry's `confirmation` must be `phrase`, typed exactly. */
            required: boolean;
        };
        /** @description A run derived from another: a retry of its failed tenants, or a revert of its changes. */
        RetryRef: {
            /**
             * Format: int64
             * @description The derived run's id.
             */
            id: number;
            outcome?: components["schemas"]["Outcome"] | null;
        };
        /** @description Revert request. */
        RevertBody: {
            /**
             * @description Start even though the revert preflight found no row to restore (default false: such a
             *     revert is refused with `no_changes`).
             */
            allow_no_changes?: boolean;
            /** @description The typed phrase, when the run covered all tenants: `REVERT <n> TENANTS`. */
            confirmation?: string | null;
            /** @description Run control's options for the revert run (docs/spec.md §13; `drift_guard` of §15). */
            options?: components["schemas"]["RunOptions"];
            /** @description The revert preflight confirmed against (`POST /ops/runs/{id}/revert/preflight`). */
            preflight_id?: string | null;
            reason?: components["schemas"]["ReasonBody"] | null;
        };
        /**
         * @description A revert preflight's result (docs/spec.md §15): what reverting the run would restore, what
         *     is restored already, and what the application changed since (left alone).
         */
        RevertPreflight: {
            /** @description Typed confirmation: `REVERT <n> TENANTS` when the run covered all tenants. */
            confirmation: components["schemas"]["Confirmation"];
            /**
             * @description A few conflicts: `before` (what the run overwrote), `written` (what it wrote) and
             *     `after` (what the row holds now; null when it was deleted), each naming its tenant.
             */
            conflict_sample: Record<string, unknown>[];
            /**
             * Format: int64
             * @description Rows the application changed (or deleted) since the run wrote them: left alone.
             */
            conflicts: number;
            /**
             * Format: date-time
             * @description When the preflight expires.
             */
            expires_at: string;
            /**
             * @description Always `revert`; a start citing it is refused (`preflight_stale`), as a revert citing a
             *     runbook preflight is.
             */
            kind: components["schemas"]["RunKind"];
            /**
             * Format: date-time
             * @description The instant of this preflight.
             */
            planned_at: string;
            /** @description Cite it in `POST /ops/runs/{id}/revert`; expires at `expires_at`. */
            preflight_id: string;
            /**
             * Format: int64
             * @description The run it would revert.
             */
            reverts_run_id: number;
            /**
             * Format: int64
             * @description Rows that hold the values the run overwrote again (a revert already ran).
             */
            rows_already_restored: number;
            /**
             * Format: int64
             * @description Rows of the change log.
             */
            rows_logged: number;
            /**
             * Format: int64
             * @description Rows whose changed columns all still hold the values the run wrote: a revert puts back
             *     the values it overwrote.
             */
            rows_to_restore: number;
            /** @description Its runbook's key (a revert runs under the same lock). */
            runbook: string;
            /** @description A few rows to restore, whole, before and after (each naming its tenant). */
            sample: Record<string, unknown>[];
            /** @description The tenants with change-log rows: the revert run's items. */
            scope: components["schemas"]["ScopeView"];
            /**
             * Format: int64
             * @description Tenants with change-log rows.
             */
            tenants_in_scope: number;
        };
        /** @description One rule of a runbook. */
        RuleDetail: {
            /** @description What the rule does, in one line. */
            description: string;
            /** @description Stable key, as counted in `changes_by_rule` (e.g. `R1`, `S1`). */
            key: string;
            /** @description Short name (e.g. `first_seen`). */
            name: string;
        };
        /** @description A run action's reason: pause, resume (and cancel, whose body is the same). */
        RunActionBody: {
            /** @description Why (10–500 characters). */
            reason: string;
        };
        /**
         * @description What a run (or a preflight) does: a runbook's repair, or a revert of a completed run from
         *     its change log (docs/spec.md §15).
         * @enum {string}
         */
        RunKind: "run" | "revert";
        /** @description The options of a start (each optional; the default keeps a run unrestricted). */
        RunOptions: {
            /** @description Tenants (ids, in scope) that come first, in this order; then ascending tenant id. */
            canary_tenant_ids?: number[] | null;
            /**
             * @description `false` turns the drift guard off for this run (audited with the start): a tenant that
             *     would change far more rows than its preflight predicted is then written anyway
             *     (docs/spec.md §15). Default on.
             */
            drift_guard?: boolean | null;
            failure_budget?: components["schemas"]["FailureBudget"] | null;
            /**
             * Format: int64
             * @description At most this many of the run's items run at once, across every worker (1–256).
             */
            max_concurrency?: number | null;
            /**
             * @description Cumulative tenant counts, strictly increasing and each below the tenants in scope: wave
             *     1 is the first n1 tenants, wave 2 up to n2, the last wave the rest. The run pauses
             *     (`wave_gate`) when every item of a wave has finished.
             */
            waves?: number[] | null;
        };
        /**
         * @description Lifecycle of a run (docs/spec.md §4, §13): `queued → running ⇄ paused → completed`.
         * @enum {string}
         */
        RunStatus: "queued" | "running" | "paused" | "completed";
        /** @description A run (docs/spec.md §6 wire format). */
        RunView: {
            /**
             * Format: int64
             * @description Seconds the run has been running: neither queued, nor paused, nor throttled
             *     (docs/spec.md §13, §14).
             */
            active_seconds: number;
            /** @description Cancellation reason, when cancelled. */
            cancel_reason?: string | null;
            /**
             * @description Whether the run's change log is kept (`GET /ops/runs/{id}/changes`): false once
             *     `CHANGE_LOG_RETENTION_DAYS` after its completion have purged it (docs/spec.md §15).
             */
            changes_available: boolean;
            /**
             * Format: date-time
             * @description Completed.
             */
            completed_at?: string | null;
            /** @description Counters. */
            counts: components["schemas"]["Counts"];
            /**
             * @description Whether the run counts as all tenants: its scope covers all tenants (or a list or
             *     workspace of more than 100), or, for a retry or a revert, its source run did. A retry or
             *     a revert of it needs `ops.runbooks.run_all_tenants`, as it did.
             */
            counts_as_all_tenants: boolean;
            /**
             * Format: date-time
             * @description Created.
             */
            created_at: string;
            /**
             * Format: int64
             * @description Seconds from the first tenant job to completion (to now while running); null before
             *     the run starts.
             */
            duration_seconds?: number | null;
            /** @description Why it failed, when it did. */
            error_summary?: string | null;
            /**
             * Format: int64
             * @description Remaining seconds at the throughput observed over active time (null when unknown,
             *     done, paused, throttled or cancelling). It grows while no item finishes; `last_progress_at` says
             *     since when.
             */
            eta_seconds?: number | null;
            /**
             * Format: int64
             * @description Run id.
             */
            id: number;
            initiator?: components["schemas"]["InitiatorView"] | null;
            /**
             * @description `run` (the runbook's repair, or a retry of one) or `revert` (puts back what
             *     `reverts_run_id` changed).
             */
            kind: components["schemas"]["RunKind"];
            /**
             * Format: date-time
             * @description When an item of the run last finished (null before the first).
             */
            last_progress_at?: string | null;
            /**
             * @description Run control's options as started (and as changed since: `max_concurrency`); `{}` for a
             *     run without any.
             */
            options: components["schemas"]["RunOptions"];
            outcome?: components["schemas"]["Outcome"] | null;
            /** @description The runbook's parameters (parsed, defaults filled in; `{}` for a runbook without any). */
            parameters: Record<string, unknown>;
            pause?: components["schemas"]["PauseView"] | null;
            /**
             * Format: date-time
             * @description The instant of the preflight the run was planned with (`null` for runs made before
             *     parameters existed).
             */
            planned_at?: string | null;
            /** @description The preflight it was confirmed against. */
            preflight_id?: string | null;
            /**
             * Format: double
             * @description 0–100: processed items (succeeded, failed or skipped) of the total; cancelled items
             *     are not progress.
             */
            progress_percent: number;
            /** @description Why. */
            reason: components["schemas"]["ReasonView"];
            /** @description The runs that retried this run's failed tenants, oldest first. */
            retried_by: components["schemas"]["RetryRef"][];
            retry_confirmation?: components["schemas"]["RetryConfirmation"] | null;
            /**
             * Format: int64
             * @description The run whose failed tenants this run retries.
             */
            retry_of_run_id?: number | null;
            /**
             * Format: int64
             * @description Failed tenants that no later retry rebuilt: what `retry-failed` would retry, and the
             *     number its typed phrase names.
             */
            retryable_tenants: number;
            /** @description The revert runs of this run, oldest first. */
            reverted_by: components["schemas"]["RetryRef"][];
            /**
             * Format: int64
             * @description For a revert run: the run it reverts.
             */
            reverts_run_id?: number | null;
            /** @description Runbook key. */
            runbook: string;
            /**
             * Format: int32
             * @description Runbook version that ran.
             */
            runbook_version: number;
            /** @description Scope, with the tenant named; `tenants` for a retry run. */
            scope: components["schemas"]["ScopeView"];
            /** @description Where it was started from. */
            source: components["schemas"]["Source"];
            stalled?: components["schemas"]["Stall"] | null;
            /**
             * Format: date-time
             * @description First tenant job started.
             */
            started_at?: string | null;
            /** @description `queued`, `running`, `paused` or `completed`. */
            status: components["schemas"]["RunStatus"];
            throttle?: components["schemas"]["ThrottleView"] | null;
            /**
             * Format: date-time
             * @description Last change of the record (drives the ETag).
             */
            updated_at: string;
            waiting_for?: components["schemas"]["WaitingFor"] | null;
            wave?: components["schemas"]["WaveView"] | null;
            /**
             * Format: int64
             * @description For a single-tenant run, the tenant's workspace.
             */
            workspace_id?: number | null;
        };
        /** @description The runbook catalogue. */
        RunbookList: {
            /** @description Every runbook. */
            items: components["schemas"]["RunbookView"][];
        };
        /** @description A runbook of the catalogue, with its active runs. */
        RunbookView: {
            active_run?: components["schemas"]["RunView"] | null;
            /** @description Every active run (several single-tenant runs may be active at once). */
            active_runs: components["schemas"]["RunView"][];
            /** @description Scopes it may run with. */
            allowed_scopes: components["schemas"]["ScopeKind"][];
            /** @description The verb of its typed confirmation phrase (`<VERB> <n> TENANTS`). */
            confirmation_verb: string;
            /** @description What it does. */
            description: string;
            /** @description Stable key. */
            key: string;
            last_run?: components["schemas"]["LastRun"] | null;
            /** @description The JSON Schema of its `parameters` object (preflight and start requests). */
            parameters: Record<string, unknown>;
            /** @description Its rules, in order: key, name and a one-line description. */
            rule_details: components["schemas"]["RuleDetail"][];
            /** @description The keys of the rules its reports count under (v1; see `rule_details`). */
            rules: string[];
            /** @description Whether the deploy hook runs it. */
            run_on_deploy: boolean;
            /** @description Title. */
            title: string;
            /**
             * Format: int32
             * @description Logic version.
             */
            version: number;
        };
        /** @description One indicator's sample (`GET /ops/health/samples`). */
        Sample: components["schemas"]["Reading"] & {
            /**
             * Format: date-time
             * @description When it was taken.
             */
            sampled_at: string;
        };
        /** @description The samples, oldest first. */
        SampleList: {
            /**
             * @description The gate's throttled episodes over the same span (one still lasting has no `ended_at`),
             *     which the console shades.
             */
            episodes: components["schemas"]["Episode"][];
            /** @description Every indicator's samples since `since`. */
            items: components["schemas"]["Sample"][];
        };
        /**
         * @description Which tenants a run covers, as a request names them (docs/spec.md §5, §21): one tenant, all
         *     tenants, a list (by id or by external id), or a workspace. The service resolves it against
         *     the database into a [`Target`].
         */
        Scope: {
            /** @enum {string} */
            kind: "tenant";
            /**
             * Format: int64
             * @description The tenant's id.
             */
            tenant_id: number;
        } | {
            /** @enum {string} */
            kind: "all_tenants";
        } | {
            /** @description External ids. */
            external_ids?: string[] | null;
            /** @enum {string} */
            kind: "tenants";
            /** @description Tenant ids. */
            tenant_ids?: number[] | null;
        } | {
            /** @enum {string} */
            kind: "workspace";
            /**
             * Format: int64
             * @description The workspace's id.
             */
            workspace_id: number;
        };
        /**
         * @description The kind of a [`Scope`], as stored.
         * @enum {string}
         */
        ScopeKind: "tenant" | "all_tenants" | "tenants" | "workspace";
        /**
         * @description A run's scope as a person reads it (`RunScope`, docs/spec.md §12, §21): one tenant, named;
         *     all tenants; a list of tenants (a list scope, or the tenants a retry run covers, with
         *     `retry_of`); or a workspace, named.
         */
        ScopeView: {
            /** @enum {string} */
            kind: "tenant";
            tenant?: components["schemas"]["TenantRef"] | null;
            /**
             * Format: int64
             * @description The tenant's id.
             */
            tenant_id: number;
        } | {
            /** @enum {string} */
            kind: "all_tenants";
        } | {
            /**
             * Format: int64
             * @description How many tenants in all.
             */
            count: number;
            /** @enum {string} */
            kind: "tenants";
            /**
             * Format: int64
             * @description For a retry run: the run whose failed tenants it retries.
             */
            retry_of?: number | null;
            /**
             * Format: int64
             * @description For a revert run (and a revert preflight): the run it reverts; its tenants are
             *     those with change-log rows.
             */
            reverts_run_id?: number | null;
            /** @description The first [`SCOPE_TENANTS_SHOWN`] tenant ids, ascending. */
            tenant_ids: number[];
        } | {
            /**
             * Format: int64
             * @description How many tenants in all.
             */
            count: number;
            /** @enum {string} */
            kind: "workspace";
            workspace?: components["schemas"]["WorkspaceRef"] | null;
            /**
             * Format: int64
             * @description The workspace's id.
             */
            workspace_id: number;
        };
        /**
         * @description The session as the login page sees it: the signed-in operator and their CSRF token, or both
         *     null when nobody is signed in.
         */
        SessionState: {
            /** @description The session's CSRF token (null: nobody, or a bearer token, which needs none). */
            csrf_token?: string | null;
            operator?: components["schemas"]["OperatorView"] | null;
        };
        /**
         * @description Where a start came from.
         * @enum {string}
         */
        Source: "system_ui" | "api" | "cli" | "deploy_hook";
        /** @description A run that stopped making progress, and the tenant it waits on. */
        Stall: {
            /**
             * @description The external ids of the other running tenants, longest-running first (at most
             *     [`OTHERS_SHOWN`]).
             */
            others: string[];
            /**
             * Format: int64
             * @description How many of the run's items are running (all of them waited on).
             */
            running: number;
            /**
             * Format: date-time
             * @description When an item last finished (the run's start when none has).
             */
            since: string;
            /** @description That tenant's external id. */
            tenant_external_id: string;
            /**
             * Format: int64
             * @description The tenant of the item that has been running longest.
             */
            tenant_id: number;
        };
        /** @description Start request. */
        StartBody: {
            /**
             * @description Start even though the preflight found nothing to change (default false: such a start is
             *     refused with `no_changes`).
             */
            allow_no_changes?: boolean;
            /** @description The typed phrase (all tenants). */
            confirmation?: string | null;
            /**
             * @description Run control (docs/spec.md §13): concurrency cap, failure budget, waves, canary tenants.
             *     Part of the run's identity: an active run with the same runbook, scope, parameters and
             *     options is returned instead of a new one.
             */
            options?: components["schemas"]["RunOptions"];
            /** @description The runbook's parameters (must match the preflight's once parsed; default `{}`). */
            parameters?: Record<string, unknown> | null;
            /** @description The preflight confirmed against. */
            preflight_id?: string | null;
            reason?: components["schemas"]["ReasonBody"] | null;
            /** @description Scope (must match the preflight's). */
            scope: components["schemas"]["Scope"];
        };
        /** @description What a start did: the run (new, or the identical active one), as the API returns it. */
        StartedRun: components["schemas"]["RunView"] & {
            /** @description True when an identical active run was returned instead of a new one. */
            deduplicated: boolean;
        };
        /** @description A tenant as a person reads it: `name (external_id)`. */
        TenantRef: {
            /** @description External id (the customer's own key). */
            external_id: string;
            /**
             * Format: int64
             * @description Tenant id.
             */
            id: number;
            /** @description Name, as the customer wrote it. */
            name: string;
        };
        /** @description A tenant a runbook may target. */
        TenantView: {
            /** @description External id. */
            external_id: string;
            /**
             * Format: int64
             * @description Tenant id.
             */
            id: number;
            /** @description Name. */
            name: string;
            /**
             * Format: int64
             * @description Workspace.
             */
            workspace_id: number;
        };
        /** @description Why a run is throttled (the run view's `throttle`). */
        ThrottleView: {
            /** @description The indicator over its threshold. */
            indicator: string;
            /**
             * Format: date-time
             * @description When the episode reached the run.
             */
            since: string;
            /**
             * Format: double
             * @description Its threshold.
             */
            threshold: number;
            /**
             * Format: double
             * @description Its value when the episode reached the run.
             */
            value?: number | null;
        };
        /**
         * @description Why a run's unstarted items are not starting.
         * @enum {string}
         */
        WaitReason: "workers" | "paused" | "throttled" | "capped" | "wave_gate";
        /** @description What a run with unstarted items is waiting for (the run view's `waiting_for`). */
        WaitingFor: {
            /**
             * Format: int64
             * @description For `workers`: claimable jobs the round robin serves before this run's next one.
             */
            jobs_ahead?: number | null;
            /** @description Why. */
            reason: components["schemas"]["WaitReason"];
        };
        /** @description Where a run with waves is (the run view's `wave`). */
        WaveView: {
            /**
             * Format: int64
             * @description The last released wave (1-based).
             */
            current: number;
            /**
             * Format: int64
             * @description How many waves there are.
             */
            of: number;
        };
        /** @description A workspace as a person reads it. */
        WorkspaceRef: {
            /**
             * Format: int64
             * @description Workspace id.
             */
            id: number;
            /** @description Name. */
            name: string;
        };
    };
    responses: never;
    parameters: never;
    requestBodies: never;
    headers: never;
    pathItems: never;
}
export type $defs = Record<string, never>;
export interface operations {
    healthz: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Alive */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Health"];
                };
            };
        };
    };
    metrics: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Prometheus text exposition format */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "text/plain; version=0.0.4": string;
                };
            };
            /** @description METRICS_TOKEN is configured and the request does not carry it as a bearer token */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description METRICS_TOKEN is not configured and the client is not on loopback */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    readyz: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Ready */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Health"];
                };
            };
            /** @description Database unreachable */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    audit_events: {
        parameters: {
            query?: {
                /** @description Exact action, e.g. `runbook.run.started`. */
                action?: string;
                /** @description Actor username. */
                actor?: string;
                /** @description Events at or after this RFC 3339 instant. */
                created_after?: string;
                /** @description Events before this RFC 3339 instant. */
                created_before?: string;
                /** @description Page number, from 1. */
                page?: number;
                /** @description Items per page, 1..=100 (default 25). */
                per_page?: number;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Audit events */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description The items of this page. */
                        items: {
                            /** @description Action, e.g. `runbook.run.started`. */
                            action: string;
                            /**
                             * Format: int64
                             * @description Actor id.
                             */
                            actor_id?: number | null;
                            /** @description `operator`, `customer`, `system` or `anonymous`. */
                            actor_kind: string;
                            /** @description Actor username (as typed, for failed logins). */
                            actor_label?: string | null;
                            /**
                             * Format: date-time
                             * @description When.
                             */
                            created_at: string;
                            /**
                             * Format: int64
                             * @description Id.
                             */
                            id: number;
                            /** @description Client IP. */
                            ip?: string | null;
                            /** @description Scope, reason, counts... */
                            metadata: Record<string, unknown>;
                            /** @description HTTP request id. */
                            request_id?: string | null;
                            /** @description Source. */
                            source?: string | null;
                            /** @description Target id. */
                            target_id?: string | null;
                            /** @description Target kind. */
                            target_type?: string | null;
                        }[];
                        /**
                         * Format: int64
                         * @description This page's number.
                         */
                        page: number;
                        /**
                         * Format: int64
                         * @description The page size.
                         */
                        per_page: number;
                        /**
                         * Format: int64
                         * @description Items over all pages.
                         */
                        total: number;
                    };
                };
            };
            /** @description Not signed in: no session cookie or bearer token, or one that is invalid, expired or revoked, or whose user was disabled or changed password since */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Missing audit.view */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Invalid or unknown filter, or invalid pagination */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Too many requests: this client's rate limit over the operator API, or a limit of the operation itself (failed login or password attempts, open event streams per operator); retry after `Retry-After` seconds */
            429: {
                headers: {
                    /** @description Seconds until a retry may succeed */
                    "Retry-After": number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Temporarily unavailable: the database is unreachable, or (login and password change) password hashing is busy; retry later */
            503: {
                headers: {
                    /** @description Seconds until a retry is likely to succeed; sent when the server knows (a busy password-hashing pool) */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    "audit_events.csv_export": {
        parameters: {
            query?: {
                /** @description Exact action, e.g. `runbook.run.started`. */
                action?: string;
                /** @description Actor username. */
                actor?: string;
                /** @description Events at or after this RFC 3339 instant. */
                created_after?: string;
                /** @description Events before this RFC 3339 instant. */
                created_before?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Audit events as CSV */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "text/csv": string;
                };
            };
            /** @description Not signed in: no session cookie or bearer token, or one that is invalid, expired or revoked, or whose user was disabled or changed password since */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Missing audit.view */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Invalid or unknown filter */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Too many requests: this client's rate limit over the operator API, or a limit of the operation itself (failed login or password attempts, open event streams per operator); retry after `Retry-After` seconds */
            429: {
                headers: {
                    /** @description Seconds until a retry may succeed */
                    "Retry-After": number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Temporarily unavailable: the database is unreachable, or (login and password change) password hashing is busy; retry later */
            503: {
                headers: {
                    /** @description Seconds until a retry is likely to succeed; sent when the server knows (a busy password-hashing pool) */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    login: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["LoginRequest"];
            };
        };
        responses: {
            /** @description Signed in; the session cookie is set */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["OperatorSession"];
                };
            };
            /** @description Malformed JSON */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Invalid username or password */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Cross-site login attempt */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Body too large */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Body is not application/json */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Wrong fields or types, or an empty username or one longer than 64 characters (refused, never truncated) */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Too many requests: this client's rate limit over the operator API, or a limit of the operation itself (failed login or password attempts, open event streams per operator); retry after `Retry-After` seconds */
            429: {
                headers: {
                    /** @description Seconds until a retry may succeed */
                    "Retry-After": number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Temporarily unavailable: the database is unreachable, or (login and password change) password hashing is busy; retry later */
            503: {
                headers: {
                    /** @description Seconds until a retry is likely to succeed; sent when the server knows (a busy password-hashing pool) */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    logout: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Signed out */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Not signed in: no session cookie or bearer token, or one that is invalid, expired or revoked, or whose user was disabled or changed password since */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Missing or wrong X-CSRF-Token */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Too many requests: this client's rate limit over the operator API, or a limit of the operation itself (failed login or password attempts, open event streams per operator); retry after `Retry-After` seconds */
            429: {
                headers: {
                    /** @description Seconds until a retry may succeed */
                    "Retry-After": number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Temporarily unavailable: the database is unreachable, or (login and password change) password hashing is busy; retry later */
            503: {
                headers: {
                    /** @description Seconds until a retry is likely to succeed; sent when the server knows (a busy password-hashing pool) */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    me: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The current operator */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["OperatorSession"];
                };
            };
            /** @description Not signed in: no session cookie or bearer token, or one that is invalid, expired or revoked, or whose user was disabled or changed password since */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Too many requests: this client's rate limit over the operator API, or a limit of the operation itself (failed login or password attempts, open event streams per operator); retry after `Retry-After` seconds */
            429: {
                headers: {
                    /** @description Seconds until a retry may succeed */
                    "Retry-After": number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Temporarily unavailable: the database is unreachable, or (login and password change) password hashing is busy; retry later */
            503: {
                headers: {
                    /** @description Seconds until a retry is likely to succeed; sent when the server knows (a busy password-hashing pool) */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    change_password: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["PasswordChangeRequest"];
            };
        };
        responses: {
            /** @description Changed; other sessions and all API tokens of the operator are ended */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Malformed JSON */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Not signed in: no session cookie or bearer token, or one that is invalid, expired or revoked, or whose user was disabled or changed password since */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Not a session (bearer token), or missing or wrong X-CSRF-Token */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Body too large */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Body is not application/json */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Wrong current password (`errors.current_password`) or a new password that breaks the policy (`errors.new_password`) */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Too many requests: this client's rate limit over the operator API, or a limit of the operation itself (failed login or password attempts, open event streams per operator); retry after `Retry-After` seconds */
            429: {
                headers: {
                    /** @description Seconds until a retry may succeed */
                    "Retry-After": number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Temporarily unavailable: the database is unreachable, or (login and password change) password hashing is busy; retry later */
            503: {
                headers: {
                    /** @description Seconds until a retry is likely to succeed; sent when the server knows (a busy password-hashing pool) */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    session: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The session: the operator and CSRF token, or nulls */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["SessionState"];
                };
            };
            /** @description Credentials of the customer plane */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Too many requests: this client's rate limit over the operator API, or a limit of the operation itself (failed login or password attempts, open event streams per operator); retry after `Retry-After` seconds */
            429: {
                headers: {
                    /** @description Seconds until a retry may succeed */
                    "Retry-After": number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Temporarily unavailable: the database is unreachable, or (login and password change) password hashing is busy; retry later */
            503: {
                headers: {
                    /** @description Seconds until a retry is likely to succeed; sent when the server knows (a busy password-hashing pool) */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    list_tokens: {
        parameters: {
            query?: {
                /** @description Page number, from 1. */
                page?: number;
                /** @description Items per page, 1..=100 (default 25). */
                per_page?: number;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description One page of tokens */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description The items of this page. */
                        items: {
                            /** @description Capability names. */
                            capabilities: string[];
                            /**
                             * Format: date-time
                             * @description Creation time.
                             */
                            created_at: string;
                            /**
                             * Format: date-time
                             * @description Expiry.
                             */
                            expires_at: string;
                            /**
                             * Format: int64
                             * @description Token id.
                             */
                            id: number;
                            /**
                             * Format: date-time
                             * @description Roughly when it was last used.
                             */
                            last_used_at?: string | null;
                            /** @description Label. */
                            name: string;
                            /**
                             * Format: date-time
                             * @description Revocation time, if revoked.
                             */
                            revoked_at?: string | null;
                        }[];
                        /**
                         * Format: int64
                         * @description This page's number.
                         */
                        page: number;
                        /**
                         * Format: int64
                         * @description The page size.
                         */
                        per_page: number;
                        /**
                         * Format: int64
                         * @description Items over all pages.
                         */
                        total: number;
                    };
                };
            };
            /** @description Not signed in: no session cookie or bearer token, or one that is invalid, expired or revoked, or whose user was disabled or changed password since */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A bearer token: token management needs a session */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Invalid pagination */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Too many requests: this client's rate limit over the operator API, or a limit of the operation itself (failed login or password attempts, open event streams per operator); retry after `Retry-After` seconds */
            429: {
                headers: {
                    /** @description Seconds until a retry may succeed */
                    "Retry-After": number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Temporarily unavailable: the database is unreachable, or (login and password change) password hashing is busy; retry later */
            503: {
                headers: {
                    /** @description Seconds until a retry is likely to succeed; sent when the server knows (a busy password-hashing pool) */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    create_token: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["CreateTokenRequest"];
            };
        };
        responses: {
            /** @description Created; `token` is shown once */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["CreatedTokenView"];
                };
            };
            /** @description Malformed JSON */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Not signed in: no session cookie or bearer token, or one that is invalid, expired or revoked, or whose user was disabled or changed password since */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A bearer token (token management needs a session), or a missing or wrong X-CSRF-Token */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Body too large */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Body is not application/json */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Invalid name, expiry or capabilities */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Too many requests: this client's rate limit over the operator API, or a limit of the operation itself (failed login or password attempts, open event streams per operator); retry after `Retry-After` seconds */
            429: {
                headers: {
                    /** @description Seconds until a retry may succeed */
                    "Retry-After": number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Temporarily unavailable: the database is unreachable, or (login and password change) password hashing is busy; retry later */
            503: {
                headers: {
                    /** @description Seconds until a retry is likely to succeed; sent when the server knows (a busy password-hashing pool) */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    revoke_token: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Token id */
                id: number;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Revoked */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Not signed in: no session cookie or bearer token, or one that is invalid, expired or revoked, or whose user was disabled or changed password since */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A bearer token (token management needs a session), or a missing or wrong X-CSRF-Token */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description No such token of yours */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Non-numeric id */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Too many requests: this client's rate limit over the operator API, or a limit of the operation itself (failed login or password attempts, open event streams per operator); retry after `Retry-After` seconds */
            429: {
                headers: {
                    /** @description Seconds until a retry may succeed */
                    "Retry-After": number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Temporarily unavailable: the database is unreachable, or (login and password change) password hashing is busy; retry later */
            503: {
                headers: {
                    /** @description Seconds until a retry is likely to succeed; sent when the server knows (a busy password-hashing pool) */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    list_notifications: {
        parameters: {
            query?: {
                /** @description Page number, from 1. */
                page?: number;
                /** @description Items per page, 1..=100 (default 25). */
                per_page?: number;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Notifications */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["NotificationPage"];
                };
            };
            /** @description Not signed in: no session cookie or bearer token, or one that is invalid, expired or revoked, or whose user was disabled or changed password since */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Invalid pagination */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Too many requests: this client's rate limit over the operator API, or a limit of the operation itself (failed login or password attempts, open event streams per operator); retry after `Retry-After` seconds */
            429: {
                headers: {
                    /** @description Seconds until a retry may succeed */
                    "Retry-After": number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Temporarily unavailable: the database is unreachable, or (login and password change) password hashing is busy; retry later */
            503: {
                headers: {
                    /** @description Seconds until a retry is likely to succeed; sent when the server knows (a busy password-hashing pool) */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    read_all: {
        parameters: {
            query?: {
                /**
                 * @description Mark only notifications up to and including this id: the newest one the operator has
                 *     seen, so one that arrives between looking and clicking stays unread. Omitted: all.
                 */
                up_to_id?: number;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Marked */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ReadAll"];
                };
            };
            /** @description Not signed in: no session cookie or bearer token, or one that is invalid, expired or revoked, or whose user was disabled or changed password since */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Missing CSRF token */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Invalid or unknown query parameter */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Too many requests: this client's rate limit over the operator API, or a limit of the operation itself (failed login or password attempts, open event streams per operator); retry after `Retry-After` seconds */
            429: {
                headers: {
                    /** @description Seconds until a retry may succeed */
                    "Retry-After": number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Temporarily unavailable: the database is unreachable, or (login and password change) password hashing is busy; retry later */
            503: {
                headers: {
                    /** @description Seconds until a retry is likely to succeed; sent when the server knows (a busy password-hashing pool) */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    read_notification: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Notification id */
                id: number;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Notification */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["NotificationView"];
                };
            };
            /** @description Not signed in: no session cookie or bearer token, or one that is invalid, expired or revoked, or whose user was disabled or changed password since */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Missing CSRF token */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Not one of yours */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Id is not a 64-bit integer */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Too many requests: this client's rate limit over the operator API, or a limit of the operation itself (failed login or password attempts, open event streams per operator); retry after `Retry-After` seconds */
            429: {
                headers: {
                    /** @description Seconds until a retry may succeed */
                    "Retry-After": number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Temporarily unavailable: the database is unreachable, or (login and password change) password hashing is busy; retry later */
            503: {
                headers: {
                    /** @description Seconds until a retry is likely to succeed; sent when the server knows (a busy password-hashing pool) */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    system_openapi: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The OpenAPI document */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": Record<string, unknown>;
                };
            };
            /** @description Too many requests: this client's rate limit over the operator API, or a limit of the operation itself (failed login or password attempts, open event streams per operator); retry after `Retry-After` seconds */
            429: {
                headers: {
                    /** @description Seconds until a retry may succeed */
                    "Retry-After": number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Temporarily unavailable: the database is unreachable, or (login and password change) password hashing is busy; retry later */
            503: {
                headers: {
                    /** @description Seconds until a retry is likely to succeed; sent when the server knows (a busy password-hashing pool) */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    state: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The gate */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["HealthView"];
                };
            };
            /** @description Not signed in: no session cookie or bearer token, or one that is invalid, expired or revoked, or whose user was disabled or changed password since */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Missing ops.runs.view */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A query parameter (this endpoint takes none) */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Too many requests: this client's rate limit over the operator API, or a limit of the operation itself (failed login or password attempts, open event streams per operator); retry after `Retry-After` seconds */
            429: {
                headers: {
                    /** @description Seconds until a retry may succeed */
                    "Retry-After": number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Temporarily unavailable: the database is unreachable, or (login and password change) password hashing is busy; retry later */
            503: {
                headers: {
                    /** @description Seconds until a retry is likely to succeed; sent when the server knows (a busy password-hashing pool) */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    samples: {
        parameters: {
            query?: {
                /** @description RFC 3339 instant; default, and at the earliest, an hour ago (older samples are not kept). */
                since?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The samples */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["SampleList"];
                };
            };
            /** @description Not signed in: no session cookie or bearer token, or one that is invalid, expired or revoked, or whose user was disabled or changed password since */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Missing ops.runs.view */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description An invalid `since`, or an unknown query parameter */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Too many requests: this client's rate limit over the operator API, or a limit of the operation itself (failed login or password attempts, open event streams per operator); retry after `Retry-After` seconds */
            429: {
                headers: {
                    /** @description Seconds until a retry may succeed */
                    "Retry-After": number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Temporarily unavailable: the database is unreachable, or (login and password change) password hashing is busy; retry later */
            503: {
                headers: {
                    /** @description Seconds until a retry is likely to succeed; sent when the server knows (a busy password-hashing pool) */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    tenants: {
        parameters: {
            query?: {
                /** @description `true`: only the tenants with at least one would-be change. */
                changes_only?: string;
                /** @description Page number, from 1. */
                page?: number;
                /** @description Items per page, 1..=100 (default 25). */
                per_page?: number;
            };
            header?: never;
            path: {
                /** @description Preflight id */
                preflight_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The preflight's tenants */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description The items of this page. */
                        items: {
                            /**
                             * @description Would-be changes per rule (a finding may count under several).
                             * @example {
                             *       "S1": 2
                             *     }
                             */
                            changes_by_rule: {
                                [key: string]: number;
                            };
                            /**
                             * Format: int64
                             * @description Findings examined.
                             */
                            findings_examined: number;
                            /**
                             * Format: int64
                             * @description Findings that would change.
                             */
                            findings_to_change: number;
                            /** @description The tenant's external id (null when it was deleted since). */
                            tenant_external_id?: string | null;
                            /**
                             * Format: int64
                             * @description Tenant id.
                             */
                            tenant_id: number;
                            /** @description The tenant's name (null when it was deleted since). */
                            tenant_name?: string | null;
                        }[];
                        /**
                         * Format: int64
                         * @description This page's number.
                         */
                        page: number;
                        /**
                         * Format: int64
                         * @description The page size.
                         */
                        per_page: number;
                        /**
                         * Format: int64
                         * @description Items over all pages.
                         */
                        total: number;
                    };
                };
            };
            /** @description Not signed in: no session cookie or bearer token, or one that is invalid, expired or revoked, or whose user was disabled or changed password since */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Missing ops.runbooks.view */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description No such preflight */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Invalid or unknown filter, or invalid pagination */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Too many requests: this client's rate limit over the operator API, or a limit of the operation itself (failed login or password attempts, open event streams per operator); retry after `Retry-After` seconds */
            429: {
                headers: {
                    /** @description Seconds until a retry may succeed */
                    "Retry-After": number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Temporarily unavailable: the database is unreachable, or (login and password change) password hashing is busy; retry later */
            503: {
                headers: {
                    /** @description Seconds until a retry is likely to succeed; sent when the server knows (a busy password-hashing pool) */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    preflights_export: {
        parameters: {
            query?: {
                /** @description `true`: only the tenants with at least one would-be change. */
                changes_only?: string;
            };
            header?: never;
            path: {
                /** @description Preflight id */
                preflight_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The preflight's tenants as CSV */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "text/csv": string;
                };
            };
            /** @description Not signed in: no session cookie or bearer token, or one that is invalid, expired or revoked, or whose user was disabled or changed password since */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Missing ops.runbooks.view */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description No such preflight */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Invalid or unknown filter */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Too many requests: this client's rate limit over the operator API, or a limit of the operation itself (failed login or password attempts, open event streams per operator); retry after `Retry-After` seconds */
            429: {
                headers: {
                    /** @description Seconds until a retry may succeed */
                    "Retry-After": number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Temporarily unavailable: the database is unreachable, or (login and password change) password hashing is busy; retry later */
            503: {
                headers: {
                    /** @description Seconds until a retry is likely to succeed; sent when the server knows (a busy password-hashing pool) */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    runbooks_list: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Catalogue */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["RunbookList"];
                };
            };
            /** @description Not signed in: no session cookie or bearer token, or one that is invalid, expired or revoked, or whose user was disabled or changed password since */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Missing ops.runbooks.view */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Too many requests: this client's rate limit over the operator API, or a limit of the operation itself (failed login or password attempts, open event streams per operator); retry after `Retry-After` seconds */
            429: {
                headers: {
                    /** @description Seconds until a retry may succeed */
                    "Retry-After": number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Temporarily unavailable: the database is unreachable, or (login and password change) password hashing is busy; retry later */
            503: {
                headers: {
                    /** @description Seconds until a retry is likely to succeed; sent when the server knows (a busy password-hashing pool) */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    runbooks_detail: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Runbook key */
                key: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Runbook */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["RunbookView"];
                };
            };
            /** @description Not signed in: no session cookie or bearer token, or one that is invalid, expired or revoked, or whose user was disabled or changed password since */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Missing ops.runbooks.view */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Unknown runbook */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Malformed key (e.g. a NUL character) */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Too many requests: this client's rate limit over the operator API, or a limit of the operation itself (failed login or password attempts, open event streams per operator); retry after `Retry-After` seconds */
            429: {
                headers: {
                    /** @description Seconds until a retry may succeed */
                    "Retry-After": number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Temporarily unavailable: the database is unreachable, or (login and password change) password hashing is busy; retry later */
            503: {
                headers: {
                    /** @description Seconds until a retry is likely to succeed; sent when the server knows (a busy password-hashing pool) */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    preflight: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Runbook key */
                key: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["PreflightBody"];
            };
        };
        responses: {
            /** @description Preflight */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["PreflightResult"];
                };
            };
            /** @description Malformed JSON */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Not signed in: no session cookie or bearer token, or one that is invalid, expired or revoked, or whose user was disabled or changed password since */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Missing ops.runbooks.view or CSRF token */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Unknown runbook */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Body larger than MAX_SCOPE_BODY_BYTES (with operator credentials; MAX_BODY_BYTES without) */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Not JSON */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Invalid scope (e.g. the platform tenant) or parameters (`errors` names each, e.g. `parameters.last_seen_before`) */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Too many requests: this client's rate limit over the operator API, or a limit of the operation itself (failed login or password attempts, open event streams per operator); retry after `Retry-After` seconds */
            429: {
                headers: {
                    /** @description Seconds until a retry may succeed */
                    "Retry-After": number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Temporarily unavailable: the database is unreachable, or (login and password change) password hashing is busy; retry later */
            503: {
                headers: {
                    /** @description Seconds until a retry is likely to succeed; sent when the server knows (a busy password-hashing pool) */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    start: {
        parameters: {
            query?: never;
            header?: {
                /** @description Retry-safe key (≤ 255 chars, kept 24 h) */
                "Idempotency-Key"?: string | null;
            };
            path: {
                /** @description Runbook key */
                key: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["StartBody"];
            };
        };
        responses: {
            /** @description Identical active run (deduplicated) */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["StartedRun"];
                };
            };
            /** @description Run created */
            201: {
                headers: {
                    /** @description The run */
                    Location?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["StartedRun"];
                };
            };
            /** @description Malformed JSON */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Not signed in: no session cookie or bearer token, or one that is invalid, expired or revoked, or whose user was disabled or changed password since */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Missing ops.runbooks.run (or run_all_tenants), or CSRF token */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Unknown runbook */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Overlapping active run, or the same Idempotency-Key is in progress */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Body larger than MAX_SCOPE_BODY_BYTES (with operator credentials; MAX_BODY_BYTES without) */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Not JSON */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Invalid reason, phrase or parameters; a stale preflight (other scope or parameters, expired, tenants changed); a preflight another start already used (`code` preflight_used); a preflight that found nothing to change without `allow_no_changes` (`code` no_changes); Idempotency-Key reused with another body */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Too many requests: this client's rate limit over the operator API, or a limit of the operation itself (failed login or password attempts, open event streams per operator); retry after `Retry-After` seconds */
            429: {
                headers: {
                    /** @description Seconds until a retry may succeed */
                    "Retry-After": number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Temporarily unavailable: the database is unreachable, or (login and password change) password hashing is busy; retry later */
            503: {
                headers: {
                    /** @description Seconds until a retry is likely to succeed; sent when the server knows (a busy password-hashing pool) */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    runs_list: {
        parameters: {
            query?: {
                /** @description `queued`, `running` or `completed`. */
                status?: string;
                /** @description `succeeded`, `partially_succeeded`, `failed` or `cancelled`. */
                outcome?: string;
                /** @description Runbook key. */
                runbook?: string;
                /**
                 * @description Part of the username or display name of the operator who started the run
                 *     (case-insensitive).
                 */
                initiator?: string;
                /** @description `system_ui`, `api`, `cli` or `deploy_hook`. */
                source?: string;
                /** @description Runs with an item for this tenant (or scoped to it). */
                tenant_id?: string;
                /** @description Runs created at or after this RFC 3339 instant. */
                created_after?: string;
                /** @description Runs created before this RFC 3339 instant. */
                created_before?: string;
                /** @description Page number, from 1. */
                page?: number;
                /** @description Items per page, 1..=100 (default 25). */
                per_page?: number;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Runs */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description The items of this page. */
                        items: {
                            /**
                             * Format: int64
                             * @description Seconds the run has been running: neither queued, nor paused, nor throttled
                             *     (docs/spec.md §13, §14).
                             */
                            active_seconds: number;
                            /** @description Cancellation reason, when cancelled. */
                            cancel_reason?: string | null;
                            /**
                             * @description Whether the run's change log is kept (`GET /ops/runs/{id}/changes`): false once
                             *     `CHANGE_LOG_RETENTION_DAYS` after its completion have purged it (docs/spec.md §15).
                             */
                            changes_available: boolean;
                            /**
                             * Format: date-time
                             * @description Completed.
                             */
                            completed_at?: string | null;
                            /** @description Counters. */
                            counts: components["schemas"]["Counts"];
                            /**
                             * @description Whether the run counts as all tenants: its scope covers all tenants (or a list or
                             *     workspace of more than 100), or, for a retry or a revert, its source run did. A retry or
                             *     a revert of it needs `ops.runbooks.run_all_tenants`, as it did.
                             */
                            counts_as_all_tenants: boolean;
                            /**
                             * Format: date-time
                             * @description Created.
                             */
                            created_at: string;
                            /**
                             * Format: int64
                             * @description Seconds from the first tenant job to completion (to now while running); null before
                             *     the run starts.
                             */
                            duration_seconds?: number | null;
                            /** @description Why it failed, when it did. */
                            error_summary?: string | null;
                            /**
                             * Format: int64
                             * @description Remaining seconds at the throughput observed over active time (null when unknown,
                             *     done, paused, throttled or cancelling). It grows while no item finishes; `last_progress_at` says
                             *     since when.
                             */
                            eta_seconds?: number | null;
                            /**
                             * Format: int64
                             * @description Run id.
                             */
                            id: number;
                            initiator?: components["schemas"]["InitiatorView"] | null;
                            /**
                             * @description `run` (the runbook's repair, or a retry of one) or `revert` (puts back what
                             *     `reverts_run_id` changed).
                             */
                            kind: components["schemas"]["RunKind"];
                            /**
                             * Format: date-time
                             * @description When an item of the run last finished (null before the first).
                             */
                            last_progress_at?: string | null;
                            /**
                             * @description Run control's options as started (and as changed since: `max_concurrency`); `{}` for a
                             *     run without any.
                             */
                            options: components["schemas"]["RunOptions"];
                            outcome?: components["schemas"]["Outcome"] | null;
                            /** @description The runbook's parameters (parsed, defaults filled in; `{}` for a runbook without any). */
                            parameters: Record<string, unknown>;
                            pause?: components["schemas"]["PauseView"] | null;
                            /**
                             * Format: date-time
                             * @description The instant of the preflight the run was planned with (`null` for runs made before
                             *     parameters existed).
                             */
                            planned_at?: string | null;
                            /** @description The preflight it was confirmed against. */
                            preflight_id?: string | null;
                            /**
                             * Format: double
                             * @description 0–100: processed items (succeeded, failed or skipped) of the total; cancelled items
                             *     are not progress.
                             */
                            progress_percent: number;
                            /** @description Why. */
                            reason: components["schemas"]["ReasonView"];
                            /** @description The runs that retried this run's failed tenants, oldest first. */
                            retried_by: components["schemas"]["RetryRef"][];
                            retry_confirmation?: components["schemas"]["RetryConfirmation"] | null;
                            /**
                             * Format: int64
                             * @description The run whose failed tenants this run retries.
                             */
                            retry_of_run_id?: number | null;
                            /**
                             * Format: int64
                             * @description Failed tenants that no later retry rebuilt: what `retry-failed` would retry, and the
                             *     number its typed phrase names.
                             */
                            retryable_tenants: number;
                            /** @description The revert runs of this run, oldest first. */
                            reverted_by: components["schemas"]["RetryRef"][];
                            /**
                             * Format: int64
                             * @description For a revert run: the run it reverts.
                             */
                            reverts_run_id?: number | null;
                            /** @description Runbook key. */
                            runbook: string;
                            /**
                             * Format: int32
                             * @description Runbook version that ran.
                             */
                            runbook_version: number;
                            /** @description Scope, with the tenant named; `tenants` for a retry run. */
                            scope: components["schemas"]["ScopeView"];
                            /** @description Where it was started from. */
                            source: components["schemas"]["Source"];
                            stalled?: components["schemas"]["Stall"] | null;
                            /**
                             * Format: date-time
                             * @description First tenant job started.
                             */
                            started_at?: string | null;
                            /** @description `queued`, `running`, `paused` or `completed`. */
                            status: components["schemas"]["RunStatus"];
                            throttle?: components["schemas"]["ThrottleView"] | null;
                            /**
                             * Format: date-time
                             * @description Last change of the record (drives the ETag).
                             */
                            updated_at: string;
                            waiting_for?: components["schemas"]["WaitingFor"] | null;
                            wave?: components["schemas"]["WaveView"] | null;
                            /**
                             * Format: int64
                             * @description For a single-tenant run, the tenant's workspace.
                             */
                            workspace_id?: number | null;
                        }[];
                        /**
                         * Format: int64
                         * @description This page's number.
                         */
                        page: number;
                        /**
                         * Format: int64
                         * @description The page size.
                         */
                        per_page: number;
                        /**
                         * Format: int64
                         * @description Items over all pages.
                         */
                        total: number;
                    };
                };
            };
            /** @description Not signed in: no session cookie or bearer token, or one that is invalid, expired or revoked, or whose user was disabled or changed password since */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Missing ops.runs.view */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Invalid or unknown filter, or invalid pagination */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Too many requests: this client's rate limit over the operator API, or a limit of the operation itself (failed login or password attempts, open event streams per operator); retry after `Retry-After` seconds */
            429: {
                headers: {
                    /** @description Seconds until a retry may succeed */
                    "Retry-After": number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Temporarily unavailable: the database is unreachable, or (login and password change) password hashing is busy; retry later */
            503: {
                headers: {
                    /** @description Seconds until a retry is likely to succeed; sent when the server knows (a busy password-hashing pool) */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    "runs.csv_export": {
        parameters: {
            query?: {
                /** @description `queued`, `running` or `completed`. */
                status?: string;
                /** @description `succeeded`, `partially_succeeded`, `failed` or `cancelled`. */
                outcome?: string;
                /** @description Runbook key. */
                runbook?: string;
                /**
                 * @description Part of the username or display name of the operator who started the run
                 *     (case-insensitive).
                 */
                initiator?: string;
                /** @description `system_ui`, `api`, `cli` or `deploy_hook`. */
                source?: string;
                /** @description Runs with an item for this tenant (or scoped to it). */
                tenant_id?: string;
                /** @description Runs created at or after this RFC 3339 instant. */
                created_after?: string;
                /** @description Runs created before this RFC 3339 instant. */
                created_before?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Runs as CSV */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "text/csv": string;
                };
            };
            /** @description Not signed in: no session cookie or bearer token, or one that is invalid, expired or revoked, or whose user was disabled or changed password since */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Missing ops.runs.view */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Invalid or unknown filter */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Too many requests: this client's rate limit over the operator API, or a limit of the operation itself (failed login or password attempts, open event streams per operator); retry after `Retry-After` seconds */
            429: {
                headers: {
                    /** @description Seconds until a retry may succeed */
                    "Retry-After": number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Temporarily unavailable: the database is unreachable, or (login and password change) password hashing is busy; retry later */
            503: {
                headers: {
                    /** @description Seconds until a retry is likely to succeed; sent when the server knows (a busy password-hashing pool) */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    runs_detail: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Run id */
                id: number;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Run */
            200: {
                headers: {
                    /** @description Version of the run */
                    ETag?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["RunView"];
                };
            };
            /** @description Unchanged since If-None-Match */
            304: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Not signed in: no session cookie or bearer token, or one that is invalid, expired or revoked, or whose user was disabled or changed password since */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Missing ops.runs.view */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description No such run */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Id is not a 64-bit integer */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Too many requests: this client's rate limit over the operator API, or a limit of the operation itself (failed login or password attempts, open event streams per operator); retry after `Retry-After` seconds */
            429: {
                headers: {
                    /** @description Seconds until a retry may succeed */
                    "Retry-After": number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Temporarily unavailable: the database is unreachable, or (login and password change) password hashing is busy; retry later */
            503: {
                headers: {
                    /** @description Seconds until a retry is likely to succeed; sent when the server knows (a busy password-hashing pool) */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    cancel: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Run id */
                id: number;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["RunActionBody"];
            };
        };
        responses: {
            /** @description Run after cancellation */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["RunView"];
                };
            };
            /** @description Malformed JSON */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Not signed in: no session cookie or bearer token, or one that is invalid, expired or revoked, or whose user was disabled or changed password since */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Missing ops.runs.cancel or CSRF token */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description No such run */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Already completed or being cancelled */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Not JSON */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Invalid reason */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Too many requests: this client's rate limit over the operator API, or a limit of the operation itself (failed login or password attempts, open event streams per operator); retry after `Retry-After` seconds */
            429: {
                headers: {
                    /** @description Seconds until a retry may succeed */
                    "Retry-After": number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Temporarily unavailable: the database is unreachable, or (login and password change) password hashing is busy; retry later */
            503: {
                headers: {
                    /** @description Seconds until a retry is likely to succeed; sent when the server knows (a busy password-hashing pool) */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    changes: {
        parameters: {
            query?: {
                /** @description Only this tenant's changed rows (the tenant's id). */
                tenant_id?: number;
                /** @description Page number, from 1. */
                page?: number;
                /** @description Items per page, 1..=100 (default 25). */
                per_page?: number;
            };
            header?: never;
            path: {
                /** @description Run id */
                id: number;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Changed rows */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description The items of this page. */
                        items: {
                            /** @description Each column the run changed, with the value it wrote. */
                            after: Record<string, unknown>;
                            /** @description Each column the run changed, with the value it overwrote. */
                            before: Record<string, unknown>;
                            /**
                             * Format: int64
                             * @description The finding.
                             */
                            finding_id: number;
                            /** @description The rules that changed it. */
                            rules: string[];
                            /**
                             * Format: int64
                             * @description Its tenant.
                             */
                            tenant_id: number;
                        }[];
                        /**
                         * Format: int64
                         * @description This page's number.
                         */
                        page: number;
                        /**
                         * Format: int64
                         * @description The page size.
                         */
                        per_page: number;
                        /**
                         * Format: int64
                         * @description Items over all pages.
                         */
                        total: number;
                    };
                };
            };
            /** @description Not signed in: no session cookie or bearer token, or one that is invalid, expired or revoked, or whose user was disabled or changed password since */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Missing ops.runs.view */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description No such run */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The run's change log has been purged (retention) */
            410: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Invalid or unknown filter, or invalid pagination */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Too many requests: this client's rate limit over the operator API, or a limit of the operation itself (failed login or password attempts, open event streams per operator); retry after `Retry-After` seconds */
            429: {
                headers: {
                    /** @description Seconds until a retry may succeed */
                    "Retry-After": number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Temporarily unavailable: the database is unreachable, or (login and password change) password hashing is busy; retry later */
            503: {
                headers: {
                    /** @description Seconds until a retry is likely to succeed; sent when the server knows (a busy password-hashing pool) */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    run_events: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Run id */
                id: number;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description A `text/event-stream` of `event: progress` (`data`: the run as JSON) whenever the run changes, then `event: completed` (`data`: the final run) and the end of the stream; or `event: end` (`data`: `{"reason"}`) when the stream ends early. Comment lines keep it alive. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "text/event-stream": unknown;
                };
            };
            /** @description Not signed in: no session cookie or bearer token, or one that is invalid, expired or revoked, or whose user was disabled or changed password since */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Missing ops.runs.view */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description No such run */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Id is not a 64-bit integer */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Too many requests: this client's rate limit over the operator API, or a limit of the operation itself (failed login or password attempts, open event streams per operator); retry after `Retry-After` seconds */
            429: {
                headers: {
                    /** @description Seconds until a retry may succeed */
                    "Retry-After": number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Temporarily unavailable: the database is unreachable, or (login and password change) password hashing is busy; retry later */
            503: {
                headers: {
                    /** @description Seconds until a retry is likely to succeed; sent when the server knows (a busy password-hashing pool) */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    items: {
        parameters: {
            query?: {
                /** @description `pending`, `running`, `retrying`, `succeeded`, `failed`, `skipped` or `cancelled`. */
                status?: string;
                /** @description Case-insensitive substring of the tenant's name or external id (as `/ops/tenants`). */
                search?: string;
                /** @description Page number, from 1. */
                page?: number;
                /** @description Items per page, 1..=100 (default 25). */
                per_page?: number;
            };
            header?: never;
            path: {
                /** @description Run id */
                id: number;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Items */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description The items of this page. */
                        items: {
                            /**
                             * Format: int32
                             * @description Attempts so far.
                             */
                            attempts: number;
                            /** @description Changes per rule. */
                            changes_by_rule?: Record<string, unknown> | null;
                            /**
                             * Format: date-time
                             * @description Finished.
                             */
                            completed_at?: string | null;
                            /**
                             * Format: int64
                             * @description For a revert run: rows of this tenant left alone, changed by the application since the
                             *     reverted run wrote them.
                             */
                            conflicts: number;
                            /**
                             * Format: int64
                             * @description Seconds its last attempt took (to now while it runs), leaving out the wait for a retry
                             *     and earlier attempts (docs/spec.md §21); null before its first attempt.
                             */
                            duration_seconds?: number | null;
                            /** @description Last error: the database's message once, with its SQLSTATE when there is one. */
                            error?: string | null;
                            /**
                             * @description The SQLSTATE of the last error, when it came from the database (on SQLite, constraint
                             *     violations are given PostgreSQL's class 23 codes).
                             */
                            error_sqlstate?: string | null;
                            /**
                             * Format: int64
                             * @description Findings changed.
                             */
                            findings_changed: number;
                            /**
                             * Format: int64
                             * @description Findings examined.
                             */
                            findings_examined: number;
                            /**
                             * Format: int64
                             * @description Item id.
                             */
                            id: number;
                            /**
                             * Format: date-time
                             * @description While `retrying`: when the next attempt is due.
                             */
                            next_attempt_at?: string | null;
                            /**
                             * Format: date-time
                             * @description Started (its first attempt).
                             */
                            started_at?: string | null;
                            /** @description Item status. */
                            status: components["schemas"]["ItemStatus"];
                            /** @description Tenant external id. */
                            tenant_external_id: string;
                            /**
                             * Format: int64
                             * @description Tenant id.
                             */
                            tenant_id: number;
                            /** @description Tenant name (empty when the tenant was deleted). */
                            tenant_name: string;
                        }[];
                        /**
                         * Format: int64
                         * @description This page's number.
                         */
                        page: number;
                        /**
                         * Format: int64
                         * @description The page size.
                         */
                        per_page: number;
                        /**
                         * Format: int64
                         * @description Items over all pages.
                         */
                        total: number;
                    };
                };
            };
            /** @description Not signed in: no session cookie or bearer token, or one that is invalid, expired or revoked, or whose user was disabled or changed password since */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Missing ops.runs.view */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description No such run */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Invalid or unknown filter, or invalid pagination */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Too many requests: this client's rate limit over the operator API, or a limit of the operation itself (failed login or password attempts, open event streams per operator); retry after `Retry-After` seconds */
            429: {
                headers: {
                    /** @description Seconds until a retry may succeed */
                    "Retry-After": number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Temporarily unavailable: the database is unreachable, or (login and password change) password hashing is busy; retry later */
            503: {
                headers: {
                    /** @description Seconds until a retry is likely to succeed; sent when the server knows (a busy password-hashing pool) */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    runs_export: {
        parameters: {
            query?: {
                /** @description `pending`, `running`, `retrying`, `succeeded`, `failed`, `skipped` or `cancelled`. */
                status?: string;
                /** @description Case-insensitive substring of the tenant's name or external id (as `/ops/tenants`). */
                search?: string;
            };
            header?: never;
            path: {
                /** @description Run id */
                id: number;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Items as CSV */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "text/csv": string;
                };
            };
            /** @description Not signed in: no session cookie or bearer token, or one that is invalid, expired or revoked, or whose user was disabled or changed password since */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Missing ops.runs.view */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description No such run */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Invalid or unknown filter */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Too many requests: this client's rate limit over the operator API, or a limit of the operation itself (failed login or password attempts, open event streams per operator); retry after `Retry-After` seconds */
            429: {
                headers: {
                    /** @description Seconds until a retry may succeed */
                    "Retry-After": number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Temporarily unavailable: the database is unreachable, or (login and password change) password hashing is busy; retry later */
            503: {
                headers: {
                    /** @description Seconds until a retry is likely to succeed; sent when the server knows (a busy password-hashing pool) */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    item_attempts: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Run id */
                id: number;
                /** @description Item id (an item of that run) */
                item_id: number;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Attempts, oldest first */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["AttemptList"];
                };
            };
            /** @description Not signed in: no session cookie or bearer token, or one that is invalid, expired or revoked, or whose user was disabled or changed password since */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Missing ops.runs.view */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description No such run, or no such item in it */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description An id is not a 64-bit integer */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Too many requests: this client's rate limit over the operator API, or a limit of the operation itself (failed login or password attempts, open event streams per operator); retry after `Retry-After` seconds */
            429: {
                headers: {
                    /** @description Seconds until a retry may succeed */
                    "Retry-After": number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Temporarily unavailable: the database is unreachable, or (login and password change) password hashing is busy; retry later */
            503: {
                headers: {
                    /** @description Seconds until a retry is likely to succeed; sent when the server knows (a busy password-hashing pool) */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    options: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Run id */
                id: number;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["OptionsBody"];
            };
        };
        responses: {
            /** @description Run with its new options */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["RunView"];
                };
            };
            /** @description Malformed JSON */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Not signed in: no session cookie or bearer token, or one that is invalid, expired or revoked, or whose user was disabled or changed password since */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Missing ops.runs.control or CSRF token */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description No such run */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Completed (`code` invalid_state) */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Not JSON */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Invalid reason, or max_concurrency outside 1–256 */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Too many requests: this client's rate limit over the operator API, or a limit of the operation itself (failed login or password attempts, open event streams per operator); retry after `Retry-After` seconds */
            429: {
                headers: {
                    /** @description Seconds until a retry may succeed */
                    "Retry-After": number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Temporarily unavailable: the database is unreachable, or (login and password change) password hashing is busy; retry later */
            503: {
                headers: {
                    /** @description Seconds until a retry is likely to succeed; sent when the server knows (a busy password-hashing pool) */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    pause: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Run id */
                id: number;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["RunActionBody"];
            };
        };
        responses: {
            /** @description Run, paused */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["RunView"];
                };
            };
            /** @description Malformed JSON */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Not signed in: no session cookie or bearer token, or one that is invalid, expired or revoked, or whose user was disabled or changed password since */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Missing ops.runs.control or CSRF token */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description No such run */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Not queued or running, or being cancelled (`code` invalid_state) */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Not JSON */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Invalid reason */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Too many requests: this client's rate limit over the operator API, or a limit of the operation itself (failed login or password attempts, open event streams per operator); retry after `Retry-After` seconds */
            429: {
                headers: {
                    /** @description Seconds until a retry may succeed */
                    "Retry-After": number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Temporarily unavailable: the database is unreachable, or (login and password change) password hashing is busy; retry later */
            503: {
                headers: {
                    /** @description Seconds until a retry is likely to succeed; sent when the server knows (a busy password-hashing pool) */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    resume: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Run id */
                id: number;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["RunActionBody"];
            };
        };
        responses: {
            /** @description Run, resumed */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["RunView"];
                };
            };
            /** @description Malformed JSON */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Not signed in: no session cookie or bearer token, or one that is invalid, expired or revoked, or whose user was disabled or changed password since */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Missing ops.runs.control or CSRF token */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description No such run */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Not paused, or being cancelled (`code` invalid_state) */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Not JSON */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Invalid reason */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Too many requests: this client's rate limit over the operator API, or a limit of the operation itself (failed login or password attempts, open event streams per operator); retry after `Retry-After` seconds */
            429: {
                headers: {
                    /** @description Seconds until a retry may succeed */
                    "Retry-After": number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Temporarily unavailable: the database is unreachable, or (login and password change) password hashing is busy; retry later */
            503: {
                headers: {
                    /** @description Seconds until a retry is likely to succeed; sent when the server knows (a busy password-hashing pool) */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    retry_failed: {
        parameters: {
            query?: never;
            header?: {
                /** @description Retry-safe key (≤ 255 chars, kept 24 h) */
                "Idempotency-Key"?: string | null;
            };
            path: {
                /** @description Run id */
                id: number;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["RetryBody"];
            };
        };
        responses: {
            /** @description Retry run created */
            201: {
                headers: {
                    /** @description The new run */
                    Location?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["StartedRun"];
                };
            };
            /** @description Malformed JSON */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Not signed in: no session cookie or bearer token, or one that is invalid, expired or revoked, or whose user was disabled or changed password since */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Missing ops.runbooks.run (or run_all_tenants), or CSRF token */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description No such run */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Not completed, no tenant left to retry (none failed, or later retries rebuilt them all), an overlapping run is active, or the same Idempotency-Key is in progress */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Not JSON */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Invalid reason, phrase or options; Idempotency-Key reused with another body */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Too many requests: this client's rate limit over the operator API, or a limit of the operation itself (failed login or password attempts, open event streams per operator); retry after `Retry-After` seconds */
            429: {
                headers: {
                    /** @description Seconds until a retry may succeed */
                    "Retry-After": number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Temporarily unavailable: the database is unreachable, or (login and password change) password hashing is busy; retry later */
            503: {
                headers: {
                    /** @description Seconds until a retry is likely to succeed; sent when the server knows (a busy password-hashing pool) */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    revert: {
        parameters: {
            query?: never;
            header?: {
                /** @description Retry-safe key (≤ 255 chars, kept 24 h) */
                "Idempotency-Key"?: string | null;
            };
            path: {
                /** @description Run id */
                id: number;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["RevertBody"];
            };
        };
        responses: {
            /** @description Revert run created */
            201: {
                headers: {
                    /** @description The revert run */
                    Location?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["StartedRun"];
                };
            };
            /** @description Malformed JSON */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Not signed in: no session cookie or bearer token, or one that is invalid, expired or revoked, or whose user was disabled or changed password since */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Missing ops.runbooks.run (or run_all_tenants), or CSRF token */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description No such run */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The run has not completed (`code` invalid_state), an overlapping run is active (`code` overlap), or the same Idempotency-Key is in progress */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The run's change log has been purged (`code` change_log_expired) */
            410: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Not JSON */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Invalid reason, phrase or options; a stale preflight (not a revert preflight of this run, another operator's, expired) (`code` preflight_stale); a preflight another revert already used (`code` preflight_used); nothing to restore without `allow_no_changes` (`code` no_changes); Idempotency-Key reused with another body */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Too many requests: this client's rate limit over the operator API, or a limit of the operation itself (failed login or password attempts, open event streams per operator); retry after `Retry-After` seconds */
            429: {
                headers: {
                    /** @description Seconds until a retry may succeed */
                    "Retry-After": number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Temporarily unavailable: the database is unreachable, or (login and password change) password hashing is busy; retry later */
            503: {
                headers: {
                    /** @description Seconds until a retry is likely to succeed; sent when the server knows (a busy password-hashing pool) */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    revert_preflight: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Run id */
                id: number;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description What a revert would do */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["RevertPreflight"];
                };
            };
            /** @description Not signed in: no session cookie or bearer token, or one that is invalid, expired or revoked, or whose user was disabled or changed password since */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Missing ops.runbooks.view, or CSRF token */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description No such run */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The run has not completed, or changed no row (`code` invalid_state) */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The run's change log has been purged (`code` change_log_expired) */
            410: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A run id that is not a number */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Too many requests: this client's rate limit over the operator API, or a limit of the operation itself (failed login or password attempts, open event streams per operator); retry after `Retry-After` seconds */
            429: {
                headers: {
                    /** @description Seconds until a retry may succeed */
                    "Retry-After": number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Temporarily unavailable: the database is unreachable, or (login and password change) password hashing is busy; retry later */
            503: {
                headers: {
                    /** @description Seconds until a retry is likely to succeed; sent when the server knows (a busy password-hashing pool) */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    timeline: {
        parameters: {
            query?: {
                /**
                 * @description Count only items finished at or before this instant (RFC 3339), and end the buckets
                 *     there: pass a run view's `updated_at` to draw the chart as of the counts that view shows.
                 */
                until?: string;
            };
            header?: never;
            path: {
                /** @description Run id */
                id: number;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Items finished per minute, oldest first */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["MinuteBucket"][];
                };
            };
            /** @description Not signed in: no session cookie or bearer token, or one that is invalid, expired or revoked, or whose user was disabled or changed password since */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Missing ops.runs.view */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description No such run */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Id is not a 64-bit integer, or `until` is not an RFC 3339 instant */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Too many requests: this client's rate limit over the operator API, or a limit of the operation itself (failed login or password attempts, open event streams per operator); retry after `Retry-After` seconds */
            429: {
                headers: {
                    /** @description Seconds until a retry may succeed */
                    "Retry-After": number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Temporarily unavailable: the database is unreachable, or (login and password change) password hashing is busy; retry later */
            503: {
                headers: {
                    /** @description Seconds until a retry is likely to succeed; sent when the server knows (a busy password-hashing pool) */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    tenants_list: {
        parameters: {
            query?: {
                /** @description Case-insensitive substring of the name or external id. */
                search?: string;
                /** @description Only the tenant with this id (how the console names a tenant a URL gives by id). */
                id?: number;
                /** @description Page number, from 1. */
                page?: number;
                /** @description Items per page, 1..=100 (default 25). */
                per_page?: number;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Tenants */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description The items of this page. */
                        items: {
                            /** @description External id. */
                            external_id: string;
                            /**
                             * Format: int64
                             * @description Tenant id.
                             */
                            id: number;
                            /** @description Name. */
                            name: string;
                            /**
                             * Format: int64
                             * @description Workspace.
                             */
                            workspace_id: number;
                        }[];
                        /**
                         * Format: int64
                         * @description This page's number.
                         */
                        page: number;
                        /**
                         * Format: int64
                         * @description The page size.
                         */
                        per_page: number;
                        /**
                         * Format: int64
                         * @description Items over all pages.
                         */
                        total: number;
                    };
                };
            };
            /** @description Not signed in: no session cookie or bearer token, or one that is invalid, expired or revoked, or whose user was disabled or changed password since */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Missing ops.runbooks.view */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Invalid pagination */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Too many requests: this client's rate limit over the operator API, or a limit of the operation itself (failed login or password attempts, open event streams per operator); retry after `Retry-After` seconds */
            429: {
                headers: {
                    /** @description Seconds until a retry may succeed */
                    "Retry-After": number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Temporarily unavailable: the database is unreachable, or (login and password change) password hashing is busy; retry later */
            503: {
                headers: {
                    /** @description Seconds until a retry is likely to succeed; sent when the server knows (a busy password-hashing pool) */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    lookup: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["LookupBody"];
            };
        };
        responses: {
            /** @description What the list names */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["LookupResult"];
                };
            };
            /** @description Malformed JSON */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Not signed in: no session cookie or bearer token, or one that is invalid, expired or revoked, or whose user was disabled or changed password since */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Missing ops.runbooks.view or CSRF token */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Body larger than MAX_SCOPE_BODY_BYTES (with operator credentials; MAX_BODY_BYTES without) */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Not JSON */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Neither or both lists, or not 1–10,000 entries */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Too many requests: this client's rate limit over the operator API, or a limit of the operation itself (failed login or password attempts, open event streams per operator); retry after `Retry-After` seconds */
            429: {
                headers: {
                    /** @description Seconds until a retry may succeed */
                    "Retry-After": number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Temporarily unavailable: the database is unreachable, or (login and password change) password hashing is busy; retry later */
            503: {
                headers: {
                    /** @description Seconds until a retry is likely to succeed; sent when the server knows (a busy password-hashing pool) */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    workspaces_list: {
        parameters: {
            query?: {
                /** @description Case-insensitive substring of the name. */
                search?: string;
                /** @description Page number, from 1. */
                page?: number;
                /** @description Items per page, 1..=100 (default 25). */
                per_page?: number;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Workspaces */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description The items of this page. */
                        items: {
                            /**
                             * Format: int64
                             * @description Workspace id.
                             */
                            id: number;
                            /** @description Name. */
                            name: string;
                            /**
                             * Format: int64
                             * @description Its tenants a runbook can target (the platform tenant never counts).
                             */
                            tenants: number;
                        }[];
                        /**
                         * Format: int64
                         * @description This page's number.
                         */
                        page: number;
                        /**
                         * Format: int64
                         * @description The page size.
                         */
                        per_page: number;
                        /**
                         * Format: int64
                         * @description Items over all pages.
                         */
                        total: number;
                    };
                };
            };
            /** @description Not signed in: no session cookie or bearer token, or one that is invalid, expired or revoked, or whose user was disabled or changed password since */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Missing ops.runbooks.view */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Unknown filter or invalid pagination */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Too many requests: this client's rate limit over the operator API, or a limit of the operation itself (failed login or password attempts, open event streams per operator); retry after `Retry-After` seconds */
            429: {
                headers: {
                    /** @description Seconds until a retry may succeed */
                    "Retry-After": number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Temporarily unavailable: the database is unreachable, or (login and password change) password hashing is busy; retry later */
            503: {
                headers: {
                    /** @description Seconds until a retry is likely to succeed; sent when the server knows (a busy password-hashing pool) */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
}
