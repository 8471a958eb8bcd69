//! Foundation: probes, the 404 problem document, request ids, the SPA, migrations, the host
//! schema and the demo seed.

use atlas_ops::demo::{self, SeedOutcome, SeedShape};
use atlas_ops_tests::{Backend, TestDatabase, db_tests, spawn_app, spawn_app_with};
use sea_orm::{ConnectionTrait, DbBackend, Statement};

async fn healthz_and_readyz_answer(backend: Backend) {
    let app = spawn_app(backend).await;
    let res = app.get("/healthz").await;
    assert_eq!(res.status(), 200);
    assert!(res.headers().contains_key("x-request-id"));
    let res = app.get("/readyz").await;
    assert_eq!(res.status(), 200);
    let body: serde_json::Value = res.json().await.expect("json");
    assert_eq!(body["status"], "ok");
}

async fn readyz_is_503_when_the_database_is_unreachable(backend: Backend) {
    let app = spawn_app(backend).await;
    app.db.clone().close().await.expect("close pool");
    let res = app.get("/readyz").await;
    assert_eq!(res.status(), 503);
    assert_eq!(
        res.headers()["content-type"].to_str().ok(),
        Some("application/problem+json")
    );
    let body: serde_json::Value = res.json().await.expect("json");
    assert_eq!(body["status"], 503);
    assert_eq!(body["title"], "Service Unavailable");
}

async fn unknown_routes_get_a_404_problem_document(backend: Backend) {
    let app = spawn_app(backend).await;
    for path in ["/system/api/nope", "/admin/api/nope", "/elsewhere"] {
        let res = app.get(path).await;
        assert_eq!(res.status(), 404, "{path}");
        assert_eq!(
            res.headers()["content-type"].to_str().ok(),
            Some("application/problem+json")
        );
        let body: serde_json::Value = res.json().await.expect("json");
        assert_eq!(body["type"], "about:blank");
        assert_eq!(body["status"], 404);
    }
}

async fn the_spa_is_served_with_history_fallback(backend: Backend) {
    let dir = tempfile::tempdir().expect("tempdir");
    for plane in ["system", "admin"] {
        std::fs::create_dir_all(dir.path().join(plane)).expect("mkdir");
        std::fs::write(
            dir.path().join(plane).join("index.html"),
            format!("<html><body>{plane} console</body></html>"),
        )
        .expect("write");
    }
    let static_dir = dir.path().to_path_buf();
    let app = spawn_app_with(backend, |s| s.static_dir = static_dir).await;
    for (path, expected) in [
        ("/system/", "system console"),
        ("/system/ops/runs/12", "system console"),
        ("/admin/tenants", "admin console"),
    ] {
        let res = app.get(path).await;
        assert_eq!(res.status(), 200, "{path}");
        assert!(res.text().await.expect("body").contains(expected), "{path}");
    }
    // The API is never shadowed by the SPA fallback.
    assert_eq!(app.get("/system/api/unknown").await.status(), 404);
}

async fn migrating_twice_is_a_no_op(backend: Backend) {
    let database = TestDatabase::create(backend).await;
    let db = database.connect().await;
    assert!(atlas_ops::db::migrate(&db).await.expect("first") > 0);
    assert_eq!(atlas_ops::db::migrate(&db).await.expect("second"), 0);
    assert!(atlas_ops::db::is_up_to_date(&db).await.expect("check"));
}

async fn demo_seed_gives_every_rule_work_and_is_idempotent(backend: Backend) {
    let app = spawn_app(backend).await;
    let outcome = demo::seed(
        &app.db,
        SeedShape::default(),
        Some("seed-password-0451".into()),
    )
    .await
    .expect("seed");
    let SeedOutcome::Seeded {
        tenants, findings, ..
    } = outcome
    else {
        panic!("expected a fresh seed");
    };
    assert_eq!(tenants, 25);
    assert_eq!(findings, 20_000);
    let counts = |sql: &'static str| {
        let db = app.db.clone();
        async move {
            let row = db
                .query_one_raw(Statement::from_string(db.get_database_backend(), sql))
                .await
                .expect("query")
                .expect("row");
            row.try_get_by_index::<i64>(0).expect("count")
        }
    };
    assert_eq!(
        counts("SELECT COUNT(*) FROM tenants WHERE external_id = 'platform'").await,
        1
    );
    assert_eq!(counts("SELECT COUNT(*) FROM workspaces").await, 3);
    // Work for each rule: R1 null first_seen, R2 null/early last_seen, R3 bad times_seen,
    // R4 acknowledged, R5 duplicate open keys, R6 open without due date, R7 terminal w/o stamp.
    for (rule, sql) in [
        (
            "R1",
            "SELECT COUNT(*) FROM findings WHERE first_seen_at IS NULL",
        ),
        (
            "R2",
            "SELECT COUNT(*) FROM findings WHERE last_seen_at IS NULL OR last_seen_at < first_seen_at",
        ),
        (
            "R3",
            "SELECT COUNT(*) FROM findings WHERE times_seen IS NULL OR times_seen < 1",
        ),
        (
            "R4",
            "SELECT COUNT(*) FROM findings WHERE status = 'acknowledged'",
        ),
        (
            "R5",
            "SELECT COUNT(*) FROM (SELECT tenant_id, recurrence_key FROM findings WHERE status IN ('new','triaged','in_progress','reopened','acknowledged') GROUP BY tenant_id, recurrence_key HAVING COUNT(*) > 1) g",
        ),
        (
            "R6",
            "SELECT COUNT(*) FROM findings WHERE due_at IS NULL AND status IN ('new','triaged','in_progress','reopened','acknowledged')",
        ),
        (
            "R7",
            "SELECT COUNT(*) FROM findings WHERE (status = 'resolved' AND resolved_at IS NULL) OR (status IN ('closed','risk_accepted') AND closed_at IS NULL)",
        ),
    ] {
        assert!(
            counts(sql).await > 50,
            "{rule} has too little work in the demo data"
        );
    }
    let again = demo::seed(&app.db, SeedShape::default(), None)
        .await
        .expect("reseed");
    assert!(matches!(again, SeedOutcome::AlreadySeeded));
    assert_eq!(counts("SELECT COUNT(*) FROM findings").await, 20_000);
}

db_tests!(
    healthz_and_readyz_answer,
    readyz_is_503_when_the_database_is_unreachable,
    unknown_routes_get_a_404_problem_document,
    the_spa_is_served_with_history_fallback,
    migrating_twice_is_a_no_op,
    demo_seed_gives_every_rule_work_and_is_idempotent,
);

/// Every PostgreSQL connection of the service names itself `atlas-ops`, so the health gate can
/// leave the service's own transactions out of the oldest-transaction indicator (docs/spec.md
/// §14).
#[tokio::test]
async fn postgres_connections_are_named_atlas_ops() {
    let database = TestDatabase::create(Backend::Postgres).await;
    let db = atlas_ops::db::connect(&database.url, 1)
        .await
        .expect("connect");
    let name: String = db
        .query_one_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT application_name FROM pg_stat_activity WHERE pid = pg_backend_pid()",
        ))
        .await
        .expect("query")
        .expect("a row")
        .try_get_by_index(0)
        .expect("name");
    assert_eq!(name, atlas_ops::db::APPLICATION_NAME);
    db.close().await.expect("close");
}

/// docs/spec.md §1 fixes the host tables' names, columns, types and nullability.
#[tokio::test]
async fn postgres_host_tables_match_the_spec() {
    let database = TestDatabase::create(Backend::Postgres).await;
    let db = database.connect().await;
    atlas_ops::db::migrate(&db).await.expect("migrate");
    let rows = db
        .query_all_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT table_name, column_name, data_type, is_nullable, coalesce(column_default, '') \
             FROM information_schema.columns \
             WHERE table_schema = 'public' AND table_name IN ('workspaces', 'tenants', 'findings') \
             ORDER BY table_name, ordinal_position",
        ))
        .await
        .expect("columns");
    let actual: Vec<String> = rows
        .iter()
        .map(|r| {
            let get = |i| r.try_get_by_index::<String>(i).expect("column");
            let default = get(4);
            let serial = if default.starts_with("nextval(") {
                " serial"
            } else {
                ""
            };
            format!("{}.{} {} {}{}", get(0), get(1), get(2), get(3), serial)
        })
        .collect();
    let ts = "timestamp with time zone";
    let expected: Vec<String> = [
        "findings.id bigint NO serial".to_owned(),
        "findings.tenant_id bigint NO".into(),
        "findings.recurrence_key text NO".into(),
        "findings.severity text NO".into(),
        "findings.status text NO".into(),
        format!("findings.first_seen_at {ts} YES"),
        format!("findings.last_seen_at {ts} YES"),
        "findings.times_seen integer YES".into(),
        format!("findings.due_at {ts} YES"),
        format!("findings.triaged_at {ts} YES"),
        format!("findings.resolved_at {ts} YES"),
        format!("findings.closed_at {ts} YES"),
        "findings.closed_reason text YES".into(),
        format!("findings.created_at {ts} NO"),
        format!("findings.updated_at {ts} NO"),
        "tenants.id bigint NO serial".into(),
        "tenants.workspace_id bigint NO".into(),
        "tenants.external_id text NO".into(),
        "tenants.name text NO".into(),
        "workspaces.id bigint NO serial".into(),
        "workspaces.name text NO".into(),
    ]
    .into();
    assert_eq!(actual, expected);
    let constraints = db
        .query_all_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT indexdef FROM pg_indexes WHERE schemaname = 'public' \
             AND tablename IN ('tenants', 'findings') ORDER BY indexdef",
        ))
        .await
        .expect("indexes");
    let defs: Vec<String> = constraints
        .iter()
        .map(|r| r.try_get_by_index::<String>(0).expect("def"))
        .collect();
    assert!(
        defs.iter()
            .any(|d| d.contains("ON public.findings USING btree (tenant_id, recurrence_key)")),
        "{defs:?}"
    );
    assert!(
        defs.iter()
            .any(|d| d.contains("UNIQUE") && d.contains("tenants") && d.contains("(external_id)")),
        "{defs:?}"
    );
    let fks = db
        .query_all_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT conrelid::regclass::text || '->' || confrelid::regclass::text \
             FROM pg_constraint WHERE contype = 'f' \
             AND conrelid::regclass::text IN ('tenants', 'findings') ORDER BY 1",
        ))
        .await
        .expect("fks");
    let fks: Vec<String> = fks
        .iter()
        .map(|r| r.try_get_by_index::<String>(0).expect("fk"))
        .collect();
    assert_eq!(fks, vec!["findings->tenants", "tenants->workspaces"]);
}
