//! CSV exports of the lists a person searches (runs, a run's items, the audit log), shared by
//! the API and the CLI (docs/spec.md §18).
//!
//! A column is a JSON name of the list's wire format, flattened with dots (`counts.total`);
//! arrays and objects that have no fixed shape (`parameters`, `changes_by_rule`) are one cell
//! of JSON text. Tenant names and reasons come from people, so a cell that a spreadsheet would
//! read as a formula gets a leading `'`: one starting with `=`, `+`, `-`, `@`, TAB or CR, the
//! characters OWASP's CSV injection guidance names (a spreadsheet skips a leading TAB or CR and
//! reads the formula behind it). A leading `|` is left alone: no spreadsheet starts a formula
//! with it, and OWASP does not list it; it matters only inside a formula (DDE), which starts
//! with one of the others (see the README, "CSV exports").

use serde_json::Value;

/// The columns of `GET /ops/runs.csv` and `atlas-ops runs list --csv`.
pub const RUN_COLUMNS: &[&str] = &[
    "id",
    "runbook",
    "runbook_version",
    "scope.kind",
    "scope.tenant_id",
    "scope.tenant.external_id",
    "scope.tenant.name",
    "scope.tenant_ids",
    "scope.count",
    "scope.retry_of",
    "scope.workspace_id",
    "scope.workspace.name",
    "parameters",
    "status",
    "outcome",
    "source",
    "initiator.id",
    "initiator.username",
    "reason.code",
    "reason.text",
    "preflight_id",
    "counts.total",
    "counts.processed",
    "counts.succeeded",
    "counts.failed",
    "counts.skipped",
    "counts.retrying",
    "counts.cancelled",
    "counts.findings_changed",
    "progress_percent",
    "eta_seconds",
    "stalled.since",
    "stalled.tenant_id",
    "stalled.tenant_external_id",
    "error_summary",
    "cancel_reason",
    "retry_of_run_id",
    "retried_by",
    "retryable_tenants",
    "created_at",
    "started_at",
    "completed_at",
    "duration_seconds",
];

/// The columns of `GET /ops/runs/{id}/items.csv`.
pub const ITEM_COLUMNS: &[&str] = &[
    "id",
    "tenant_id",
    "tenant_external_id",
    "tenant_name",
    "status",
    "attempts",
    "findings_examined",
    "findings_changed",
    "changes_by_rule",
    "error",
    "error_sqlstate",
    "next_attempt_at",
    "started_at",
    "completed_at",
    "duration_seconds",
];

/// The columns of `GET /ops/preflights/{preflight_id}/tenants.csv`.
pub const PREFLIGHT_TENANT_COLUMNS: &[&str] = &[
    "tenant_id",
    "tenant_external_id",
    "tenant_name",
    "findings_examined",
    "findings_to_change",
    "changes_by_rule",
];

/// The columns of `GET /audit-events.csv`.
pub const AUDIT_COLUMNS: &[&str] = &[
    "id",
    "created_at",
    "action",
    "actor_kind",
    "actor_id",
    "actor_label",
    "source",
    "ip",
    "target_type",
    "target_id",
    "metadata",
    "request_id",
];

/// Rows written per page when an export walks its list (keyset pages, never the whole table).
pub const PAGE: u64 = 500;

/// The header line.
pub fn header(columns: &[&str]) -> Vec<u8> {
    write(std::iter::once(
        columns.iter().map(|c| (*c).to_owned()).collect::<Vec<_>>(),
    ))
}

/// The lines of `rows` (each the JSON of one list entry), in `columns` order.
pub fn rows(columns: &[&str], rows: &[Value]) -> Vec<u8> {
    write(rows.iter().map(|row| {
        columns
            .iter()
            .map(|column| cell(lookup(row, column)))
            .collect::<Vec<_>>()
    }))
}

fn write(records: impl Iterator<Item = Vec<String>>) -> Vec<u8> {
    let mut out = csv::Writer::from_writer(Vec::new());
    for record in records {
        // Writing into memory cannot fail.
        let _ = out.write_record(&record);
    }
    out.into_inner().unwrap_or_default()
}

/// The value at a dotted path (`counts.total`), `None` where the path does not exist.
fn lookup<'a>(row: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.').try_fold(row, |value, key| value.get(key))
}

/// The first characters that make a spreadsheet read a cell as a formula.
const FORMULA_TRIGGERS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// One cell: empty for null or missing, text as is, JSON text for arrays and objects; guarded
/// against formula injection.
fn cell(value: Option<&Value>) -> String {
    let text = match value {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    };
    if text.starts_with(FORMULA_TRIGGERS) {
        format!("'{text}")
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_starting_with_tab_or_cr_are_defused_too_and_a_pipe_is_not() {
        let row = serde_json::json!({
            "tab": "\t=1+1",
            "cr": "\r=2+2",
            "eq": "=3+3",
            "pipe": "|x",
            "inner": "a=1",
            "space": " =1",
        });
        let csv = String::from_utf8(rows(&["tab", "cr", "eq", "pipe", "inner", "space"], &[row]))
            .expect("utf-8");
        assert_eq!(csv, "'\t=1+1,\"'\r=2+2\",'=3+3,|x,a=1, =1\n");
        for trigger in FORMULA_TRIGGERS {
            let text = format!("{trigger}cmd|' /C calc'!A0");
            assert!(
                cell(Some(&Value::String(text))).starts_with('\''),
                "{trigger:?}"
            );
        }
    }

    #[test]
    fn cells_are_flattened_quoted_and_defused() {
        let row = serde_json::json!({
            "id": 7,
            "counts": {"total": 3},
            "name": "=HYPERLINK(\"http://x\")",
            "plus": "+1",
            "minus": "-2",
            "at": "@SUM(A1)",
            "text": "a, \"b\"\nc",
            "list": [1, 2],
            "none": null,
        });
        let columns = [
            "id",
            "counts.total",
            "name",
            "plus",
            "minus",
            "at",
            "text",
            "list",
            "none",
            "missing.deep",
        ];
        let csv = String::from_utf8(rows(&columns, &[row])).expect("utf-8");
        assert_eq!(
            csv,
            "7,3,\"'=HYPERLINK(\"\"http://x\"\")\",'+1,'-2,'@SUM(A1),\"a, \"\"b\"\"\nc\",\"[1,2]\",,\n"
        );
        assert_eq!(
            String::from_utf8(header(&["id", "counts.total"])).expect("utf-8"),
            "id,counts.total\n"
        );
    }
}
