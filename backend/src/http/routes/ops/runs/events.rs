//! `GET /system/api/ops/runs/{id}/events`: Server-Sent Events of a run's progress.
//!
//! A stream is authorized at connect and then again every [`RECHECK`]: it ends (an `end`
//! event naming the reason, then close) once its session is logged out or expires, its token
//! is revoked or expires, its operator is disabled or changes password, or `ops.runs.view` is
//! withdrawn. It also ends after `SSE_MAX_SECONDS`, and an operator holds at most
//! `SSE_MAX_PER_OPERATOR` open streams per process (429 beyond).

use std::time::Duration;

use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse, get, web};
use futures_util::stream;
use tokio::time::Instant;

use crate::auth::recheck::{self, Credential};
use crate::context::AppContext;
use crate::domain::capability::Capability;
use crate::domain::run::RunStatus;
use crate::http::guards::{self, Operator};
use crate::http::problem::{ApiError, Problem};
use crate::http::streams::{StreamSlot, StreamSlots};
use crate::runs::{query, stall};

/// How often the stream looks at the run.
const POLL: Duration = Duration::from_millis(500);
/// How often the stream re-checks its credentials (docs/spec.md: ends within 5 s of losing them).
const RECHECK: Duration = Duration::from_secs(2);
/// What a client over its stream cap is told to wait.
const RETRY_AFTER_SECS: u64 = 5;
/// A comment line this often lets a vanished client be noticed (the write fails) and keeps
/// proxies from timing the stream out.
const KEEP_ALIVE_POLLS: u32 = 30;

/// What the stream last saw of the run: the same facts the run's ETag is built from (the last
/// is the stall's start and tenant, while it is stalled).
type Version = (i64, i64, RunStatus, Option<(i64, i64)>);

struct State {
    ctx: web::Data<AppContext>,
    id: i64,
    seen: Option<Version>,
    quiet_polls: u32,
    done: bool,
    credential: Credential,
    next_recheck: Instant,
    ends_at: Instant,
    /// Held for the stream's life; dropping the stream gives the slot back.
    _slot: StreamSlot,
}

impl State {
    /// Why the stream must end now, if it must: its lifetime is over, or its credentials no
    /// longer grant `ops.runs.view` (checked every [`RECHECK`]; a database error keeps the
    /// stream and checks again at the next poll).
    async fn end_reason(&mut self) -> Option<&'static str> {
        let now = Instant::now();
        if now >= self.ends_at {
            return Some("lifetime");
        }
        if now < self.next_recheck {
            return None;
        }
        match recheck::check(
            &self.ctx.db,
            &self.credential,
            Capability::RunsView,
            self.ctx.now(),
        )
        .await
        {
            Ok(revoked) => {
                self.next_recheck = now + RECHECK;
                revoked.map(|r| r.as_str())
            }
            Err(e) => {
                tracing::warn!(run.id = self.id, error = %e, "run events: cannot re-check access");
                None
            }
        }
    }
}

fn event(name: &str, data: &impl serde::Serialize) -> Bytes {
    let json = serde_json::to_string(data).unwrap_or_else(|_| "null".into());
    Bytes::from(format!("event: {name}\ndata: {json}\n\n"))
}

/// The next chunk of the stream, or `None` when it ends (completed run, or the run vanished).
async fn next_chunk(mut state: State) -> Option<(Result<Bytes, ApiError>, State)> {
    if state.done {
        return None;
    }
    loop {
        if let Some(reason) = state.end_reason().await {
            tracing::info!(run.id = state.id, reason, "run events: stream ended");
            state.done = true;
            let chunk = event("end", &serde_json::json!({ "reason": reason }));
            return Some((Ok(chunk), state));
        }
        let run = match query::find(&state.ctx.db, state.id).await {
            Ok(Some(run)) => run,
            Ok(None) => return None,
            Err(e) => {
                // Transient database errors: keep the stream, try again at the next poll.
                tracing::warn!(run.id = state.id, error = %e, "run events: cannot read the run");
                tokio::time::sleep(POLL).await;
                continue;
            }
        };
        let now = state.ctx.now();
        let stalled = match stall::detect(&state.ctx.db, &run, now).await {
            Ok(stalled) => stalled,
            Err(e) => {
                tracing::warn!(run.id = state.id, error = %e, "run events: cannot check for a stall");
                tokio::time::sleep(POLL).await;
                continue;
            }
        };
        let version = (
            run.updated_at.timestamp_micros(),
            run.processed,
            run.status,
            stalled
                .as_ref()
                .map(|s| (s.since.timestamp_micros(), s.tenant_id)),
        );
        if state.seen.as_ref() != Some(&version) {
            let completed = run.status == RunStatus::Completed;
            let view = match query::view_with_stall(
                &state.ctx.db,
                &state.ctx.runbooks,
                run,
                stalled,
                now,
            )
            .await
            {
                Ok(view) => view,
                Err(e) => {
                    tracing::warn!(run.id = state.id, error = %e, "run events: cannot build the view");
                    tokio::time::sleep(POLL).await;
                    continue;
                }
            };
            state.seen = Some(version);
            state.quiet_polls = 0;
            let mut chunk = event("progress", &view).to_vec();
            if completed {
                chunk.extend_from_slice(&event("completed", &view));
                state.done = true;
            }
            return Some((Ok(Bytes::from(chunk)), state));
        }
        tokio::time::sleep(POLL).await;
        state.quiet_polls += 1;
        if state.quiet_polls >= KEEP_ALIVE_POLLS {
            state.quiet_polls = 0;
            return Some((Ok(Bytes::from_static(b": keep-alive\n\n")), state));
        }
    }
}

/// Stream a run's progress.
///
/// Server-Sent Events of one run: an `event: progress` (data: the run) whenever it changes, then
/// `event: completed` (data: the final run) when it completes, and the stream ends. A stream also
/// ends with `event: end` (data: `{"reason"}`: `session_ended`, `token_revoked`, `token_expired`,
/// `operator_disabled`, `password_changed`, `capability_revoked` or `lifetime`) within 5 s of
/// losing its authorization, and after `SSE_MAX_SECONDS` (default 1 h; reconnect). At most
/// `SSE_MAX_PER_OPERATOR` (default 10) streams per operator and server process.
///
/// Who may call it: an operator with `ops.runs.view`. Changes nothing.
#[utoipa::path(
    tag = "ops",
    params(("id" = i64, Path, description = "Run id")),
    responses(
        // No schema: the body is an event stream, not one value. Before OpenAPI 3.2 a `schema`
        // under `text/event-stream` is read as the schema of each event (schemathesis does), so
        // `String` would be a claim every event breaks; the events are described in prose.
        (status = 200, description = "A `text/event-stream` of `event: progress` (`data`: the run as JSON) whenever the run changes, then `event: completed` (`data`: the final run) and the end of the stream; or `event: end` (`data`: `{\"reason\"}`) when the stream ends early. Comment lines keep it alive.", content_type = "text/event-stream"),
        (status = 422, description = "Id is not a 64-bit integer", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Missing ops.runs.view", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such run", body = Problem, content_type = "application/problem+json"),
        crate::http::responses::SystemSignedIn,
    )
)]
#[get("/ops/runs/{id}/events")]
pub async fn run_events(
    req: HttpRequest,
    ctx: web::Data<AppContext>,
    slots: web::Data<StreamSlots>,
    operator: Operator,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    operator.require(Capability::RunsView)?;
    let id = *id;
    query::find(&ctx.db, id).await?.ok_or(ApiError::NotFound)?;
    let credential = guards::stream_credential(&req, &operator).ok_or(ApiError::Unauthorized)?;
    let slot = slots
        .into_inner()
        .acquire(operator.id, ctx.settings.sse_max_per_operator)
        .ok_or(ApiError::TooManyRequests {
            retry_after_secs: RETRY_AFTER_SECS,
        })?;
    let now = Instant::now();
    let state = State {
        ends_at: now + ctx.settings.sse_max_lifetime,
        ctx,
        id,
        seen: None,
        quiet_polls: 0,
        done: false,
        credential,
        next_recheck: now + RECHECK,
        _slot: slot,
    };
    Ok(HttpResponse::Ok()
        .content_type("text/event-stream")
        .insert_header(("x-accel-buffering", "no"))
        .streaming(stream::unfold(state, next_chunk)))
}
