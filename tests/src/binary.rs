//! The real `atlas-ops` binary for tests that run it as a separate process.
//!
//! The binary lives in the `atlas-ops` package, so `CARGO_BIN_EXE_atlas-ops` does not exist
//! in this one. [`path`] runs `cargo build -p atlas-ops --bin atlas-ops` once per test process
//! (a no-op when up to date, so a stale binary is never tested) in the target directory next
//! to the test executable; `ATLAS_OPS_BIN` overrides it.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// The `atlas-ops` binary, built (or found up to date) once per test process.
pub fn path() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        if let Ok(path) = std::env::var("ATLAS_OPS_BIN") {
            return PathBuf::from(path);
        }
        // target/<profile>/deps/<test>-HASH → target/<profile>
        let exe = std::env::current_exe().expect("test executable path");
        let profile_dir = exe
            .parent()
            .and_then(Path::parent)
            .expect("target/<profile> directory")
            .to_path_buf();
        let target_dir = profile_dir.parent().expect("target directory");
        let profile = match profile_dir.file_name().and_then(|n| n.to_str()) {
            Some("debug") | None => "dev".to_owned(),
            Some(other) => other.to_owned(),
        };
        let workspace = Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .expect("workspace root");
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let status = std::process::Command::new(cargo)
            .current_dir(workspace)
            .args(["build", "--quiet", "-p", "atlas-ops", "--bin", "atlas-ops"])
            .arg("--profile")
            .arg(&profile)
            .arg("--target-dir")
            .arg(target_dir)
            .status()
            .expect("run cargo build for the atlas-ops binary");
        assert!(status.success(), "building the atlas-ops binary failed");
        profile_dir.join(format!("atlas-ops{}", std::env::consts::EXE_SUFFIX))
    })
}
