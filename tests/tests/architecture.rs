//! The module rules of docs/architecture.md, checked over the source: the job queue never
//! imports the run lifecycle or the alerts, the alerts never import the run lifecycle, the
//! registries are assembled only in the composition root (`app.rs`), and a run's status is
//! written only by the one guarded transition (`runs/transition.rs`).

use std::path::{Path, PathBuf};

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../backend/src")
}

/// Every `.rs` file under `dir`, with its text.
fn files(dir: &Path) -> Vec<(PathBuf, String)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        if d.is_file() {
            out.push((d.clone(), std::fs::read_to_string(&d).expect("read")));
            continue;
        }
        for entry in std::fs::read_dir(&d).expect("read dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() || path.extension().is_some_and(|e| e == "rs") {
                stack.push(path);
            }
        }
    }
    out
}

fn offenders(dir: &Path, needle: &str) -> Vec<String> {
    files(dir)
        .into_iter()
        .filter(|(_, text)| text.contains(needle))
        .map(|(path, _)| path.display().to_string())
        .collect()
}

#[test]
fn the_queue_and_the_alerts_import_no_run_lifecycle() {
    let src = src();
    for needle in ["crate::runs", "crate::alerts", "crate::app"] {
        assert_eq!(
            offenders(&src.join("jobs"), needle),
            Vec::<String>::new(),
            "{needle}"
        );
    }
    assert_eq!(
        offenders(&src.join("alerts.rs"), "crate::runs"),
        Vec::<String>::new()
    );
    assert_eq!(
        offenders(&src.join("context.rs"), "crate::runs"),
        Vec::<String>::new()
    );
}

#[test]
fn registries_are_assembled_only_in_the_composition_root() {
    let src = src();
    for needle in [
        "Registry::built_in()",
        "execute::jobs()",
        "Chores::default()",
    ] {
        let found: Vec<String> = offenders(&src, needle)
            .into_iter()
            .filter(|p| !p.ends_with("app.rs"))
            .collect();
        assert_eq!(found, Vec::<String>::new(), "{needle} outside app.rs");
    }
}

#[test]
fn a_runs_status_is_written_only_by_the_transition() {
    let found: Vec<String> = offenders(&src(), "operation_runs SET status")
        .into_iter()
        .chain(offenders(&src(), "SET status = 'completed'"))
        .chain(offenders(&src(), "SET status = 'running', started_at"))
        .filter(|p| !p.ends_with("runs/transition.rs"))
        .collect();
    assert_eq!(found, Vec::<String>::new());
}
