//! Streamed CSV answers: the header first, then one keyset page of rows at a time, so an
//! export of 100,000 rows never holds more than a page in memory (see [`crate::export`]).

use std::future::Future;

use actix_web::HttpResponse;
use actix_web::http::header;
use actix_web::web::Bytes;
use futures_util::stream::{self, StreamExt};
use sea_orm::DbErr;

use crate::export;

/// A page of rows (the JSON of list entries) and the cursor of the next page (`None` at the
/// end).
pub type CsvPage<C> = (Vec<serde_json::Value>, Option<C>);

/// Answers 200 `text/csv` named `filename`: the header of `columns`, then the pages `next`
/// returns from `first` on, until it returns no cursor. A database error after the header is
/// sent cuts the body off (the client sees an incomplete download) and is logged.
pub fn stream<C, F, Fut>(
    filename: &str,
    columns: &'static [&'static str],
    first: C,
    next: F,
) -> HttpResponse
where
    C: 'static,
    F: Fn(C) -> Fut + Clone + 'static,
    Fut: Future<Output = Result<CsvPage<C>, DbErr>> + 'static,
{
    let head = stream::once(async move { Ok::<_, DbErr>(Bytes::from(export::header(columns))) });
    let body = stream::unfold(Some(first), move |cursor| {
        let next = next.clone();
        async move {
            let cursor = cursor?;
            match next(cursor).await {
                Ok((rows, following)) => {
                    Some((Ok(Bytes::from(export::rows(columns, &rows))), following))
                }
                Err(err) => {
                    tracing::error!(error.cause_chain = ?err, "CSV export failed; the body is cut off");
                    Some((Err(err), None))
                }
            }
        }
    });
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/csv; charset=utf-8"))
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{filename}\""),
        ))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .streaming(head.chain(body))
}

/// The JSON of `rows` for [`stream`].
pub fn json_rows<T: serde::Serialize>(rows: &[T]) -> Vec<serde_json::Value> {
    rows.iter()
        .filter_map(|r| serde_json::to_value(r).ok())
        .collect()
}
