//! `GET /system/api/ops/runs/{id}/events`: Server-Sent Events of a run's progress.

use std::time::Duration;

use actix_web::web::Bytes;
use actix_web::{HttpResponse, get, web};
use futures_util::stream;

use crate::context::AppContext;
use crate::domain::capability::Capability;
use crate::http::guards::Operator;
use crate::http::problem::{ApiError, Problem};
use crate::runs::query;

/// How often the stream looks at the run.
const POLL: Duration = Duration::from_millis(500);
/// A comment line this often lets a vanished client be noticed (the write fails) and keeps
/// proxies from timing the stream out.
const KEEP_ALIVE_POLLS: u32 = 30;

/// What the stream last saw of the run: the same facts the run's ETag is built from.
type Version = (i64, i64, String);

struct State {
    ctx: web::Data<AppContext>,
    id: i64,
    seen: Option<Version>,
    quiet_polls: u32,
    done: bool,
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
        let version = (
            run.updated_at.timestamp_micros(),
            run.processed,
            run.status.clone(),
        );
        if state.seen.as_ref() != Some(&version) {
            let completed = run.status == "completed";
            let view = match query::view(&state.ctx.db, run, state.ctx.now()).await {
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

/// Server-Sent Events of one run: an `event: progress` (data: the run) whenever it changes,
/// then `event: completed` (data: the final run) when it completes, and the stream ends.
#[utoipa::path(
    tag = "ops",
    params(("id" = i64, Path, description = "Run id")),
    responses(
        (status = 200, description = "`progress` events with the run as JSON, then one `completed` event", content_type = "text/event-stream", body = String),
        (status = 400, description = "Non-numeric id", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Missing ops.runs.view", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such run", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/ops/runs/{id}/events")]
pub async fn run_events(
    ctx: web::Data<AppContext>,
    operator: Operator,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    operator.require(Capability::RunsView)?;
    let id = *id;
    query::find(&ctx.db, id).await?.ok_or(ApiError::NotFound)?;
    let state = State {
        ctx,
        id,
        seen: None,
        quiet_polls: 0,
        done: false,
    };
    Ok(HttpResponse::Ok()
        .content_type("text/event-stream")
        .insert_header(("x-accel-buffering", "no"))
        .streaming(stream::unfold(state, next_chunk)))
}
