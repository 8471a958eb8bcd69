//! `atlas-ops demo seed`: demo workspaces, tenants and legacy findings in which every rule
//! R1–R7 has work to do, plus a demo operator and a customer user.
//!
//! The data is generated from a fixed seed (no randomness, no clock), so two databases seeded
//! alike hold the same findings. Seeding an already-seeded database changes nothing.

use chrono::{DateTime, Duration, TimeZone, Utc};
use rand::RngCore;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, PaginatorTrait, Set};

use crate::auth::operators::{self, AccountError};
use crate::domain::capability::Capability;
use crate::entities::{findings, tenants, workspaces};

/// Shape of the generated data.
#[derive(Debug, Clone, Copy)]
pub struct SeedShape {
    /// Workspaces to create.
    pub workspaces: usize,
    /// Tenants (besides the platform tenant), spread over the workspaces.
    pub tenants: usize,
    /// Findings per tenant.
    pub findings_per_tenant: usize,
}

impl Default for SeedShape {
    fn default() -> Self {
        Self {
            workspaces: 3,
            tenants: 25,
            findings_per_tenant: 800,
        }
    }
}

/// Credentials created by a seed, shown once.
#[derive(Debug, Clone)]
pub struct DemoCredentials {
    /// Operator username.
    pub operator_username: String,
    /// Operator password.
    pub operator_password: String,
    /// Customer username.
    pub customer_username: String,
    /// Customer password.
    pub customer_password: String,
}

/// What a seed did.
#[derive(Debug, Clone)]
pub enum SeedOutcome {
    /// The database already held data; nothing was changed.
    AlreadySeeded,
    /// Data and accounts were created.
    Seeded {
        /// Tenants created (platform tenant excluded).
        tenants: usize,
        /// Findings created.
        findings: usize,
        /// The accounts' credentials.
        credentials: DemoCredentials,
    },
}

/// Why seeding failed.
#[derive(Debug, thiserror::Error)]
pub enum SeedError {
    /// The database failed.
    #[error(transparent)]
    Db(#[from] DbErr),
    /// Creating an account failed.
    #[error(transparent)]
    Account(#[from] AccountError),
}

/// Seeds the demo data unless the database already has workspaces.
/// `password` fixes both accounts' password (tests); otherwise a random one is generated.
pub async fn seed(
    db: &DatabaseConnection,
    shape: SeedShape,
    password: Option<String>,
) -> Result<SeedOutcome, SeedError> {
    if workspaces::Entity::find().count(db).await? > 0 {
        return Ok(SeedOutcome::AlreadySeeded);
    }
    let txn = crate::db::begin_write(db).await?;
    let ws_ids = insert_workspaces(&txn, shape.workspaces).await?;
    let first_ws = ws_ids.first().copied().unwrap_or_default();
    tenants::Entity::insert(tenants::ActiveModel {
        workspace_id: Set(first_ws),
        external_id: Set(tenants::PLATFORM_EXTERNAL_ID.into()),
        name: Set("Platform".into()),
        ..Default::default()
    })
    .exec(&txn)
    .await?;
    let mut total_findings = 0;
    for t in 0..shape.tenants {
        let ws = ws_ids[t % ws_ids.len().max(1)];
        let tenant = tenants::Entity::insert(tenants::ActiveModel {
            workspace_id: Set(ws),
            external_id: Set(format!("tenant-{:03}", t + 1)),
            name: Set(format!("{} Tenant {}", COMPANY[t % COMPANY.len()], t + 1)),
            ..Default::default()
        })
        .exec(&txn)
        .await?
        .last_insert_id;
        let rows = legacy_findings(tenant, t as u64, shape.findings_per_tenant);
        total_findings += rows.len();
        for chunk in rows.chunks(500) {
            findings::Entity::insert_many(chunk.iter().cloned())
                .exec(&txn)
                .await?;
        }
    }
    let password = password.unwrap_or_else(random_password);
    let operator = operators::create_operator(
        &txn,
        "demo",
        Some("Demo Operator"),
        &password,
        &Capability::ALL,
    )
    .await?;
    let customer =
        operators::create_customer(&txn, "customer", Some("Demo Customer"), first_ws, &password)
            .await?;
    txn.commit().await?;
    Ok(SeedOutcome::Seeded {
        tenants: shape.tenants,
        findings: total_findings,
        credentials: DemoCredentials {
            operator_username: operator.username,
            operator_password: password.clone(),
            customer_username: customer.username,
            customer_password: password,
        },
    })
}

const COMPANY: [&str; 5] = ["Acme", "Globex", "Initech", "Umbrella", "Hooli"];

async fn insert_workspaces(db: &impl ConnectionTrait, n: usize) -> Result<Vec<i64>, DbErr> {
    let mut ids = Vec::with_capacity(n);
    for i in 0..n.max(1) {
        let id = workspaces::Entity::insert(workspaces::ActiveModel {
            name: Set(format!("{} Workspace", COMPANY[i % COMPANY.len()])),
            ..Default::default()
        })
        .exec(db)
        .await?
        .last_insert_id;
        ids.push(id);
    }
    Ok(ids)
}

fn random_password() -> String {
    let mut bytes = [0u8; 12];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// A small deterministic generator (SplitMix64): the demo data must be reproducible.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n`.
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    /// True with probability `percent`%.
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

const STATUSES: [(&str, u64); 8] = [
    ("new", 25),
    ("acknowledged", 15),
    ("triaged", 10),
    ("in_progress", 10),
    ("reopened", 5),
    ("resolved", 15),
    ("closed", 12),
    ("risk_accepted", 8),
];
const SEVERITIES: [&str; 4] = ["low", "medium", "high", "critical"];

/// Legacy findings of one tenant: every rule R1–R7 has work among them.
pub fn legacy_findings(tenant_id: i64, seed: u64, count: usize) -> Vec<findings::ActiveModel> {
    let mut rng = SplitMix(seed.wrapping_mul(7919).wrapping_add(17));
    let base: DateTime<Utc> = Utc
        .with_ymd_and_hms(2025, 1, 1, 0, 0, 0)
        .single()
        .unwrap_or_default();
    // Roughly three findings per recurrence key, so duplicate groups are common.
    let keys = (count / 3).max(1) as u64;
    (0..count)
        .map(|i| {
            let created_at = base + Duration::minutes((i as i64) * 37 + rng.below(30) as i64);
            let updated_at = created_at + Duration::hours(1 + rng.below(24 * 60) as i64);
            let first_seen_at =
                (!rng.chance(20)).then(|| created_at - Duration::hours(rng.below(48) as i64));
            let anchor = first_seen_at.unwrap_or(created_at);
            let last_seen_at = match rng.below(100) {
                0..15 => None,
                15..25 => Some(anchor - Duration::hours(1 + rng.below(72) as i64)),
                _ => Some(anchor + Duration::hours(rng.below(24 * 90) as i64)),
            };
            let times_seen = match rng.below(100) {
                0..10 => None,
                10..15 => Some(0),
                15..18 => Some(-(rng.below(3) as i32) - 1),
                _ => Some(1 + rng.below(20) as i32),
            };
            let mut pick = rng.below(100);
            let status = STATUSES
                .iter()
                .find(|(_, weight)| {
                    if pick < *weight {
                        true
                    } else {
                        pick -= weight;
                        false
                    }
                })
                .map_or("new", |(s, _)| s);
            let maybe_ts = |rng: &mut SplitMix, pct: u64| {
                (!rng.chance(pct)).then(|| updated_at - Duration::minutes(rng.below(60) as i64))
            };
            let triaged_at = match status {
                "triaged" | "in_progress" | "acknowledged" => maybe_ts(&mut rng, 50),
                _ => None,
            };
            let resolved_at = match status {
                "resolved" => maybe_ts(&mut rng, 50),
                _ => None,
            };
            let closed_at = match status {
                "closed" | "risk_accepted" => maybe_ts(&mut rng, 50),
                _ => None,
            };
            let due_at = (!rng.chance(50)).then(|| anchor + Duration::days(10));
            findings::ActiveModel {
                tenant_id: Set(tenant_id),
                recurrence_key: Set(format!("rk-{:05}", rng.below(keys))),
                severity: Set(SEVERITIES[rng.below(4) as usize].to_owned()),
                status: Set(status.to_owned()),
                first_seen_at: Set(first_seen_at),
                last_seen_at: Set(last_seen_at),
                times_seen: Set(times_seen),
                due_at: Set(due_at),
                triaged_at: Set(triaged_at),
                resolved_at: Set(resolved_at),
                closed_at: Set(closed_at),
                closed_reason: Set((status == "closed").then(|| "fixed".to_owned())),
                created_at: Set(created_at),
                updated_at: Set(updated_at),
                ..Default::default()
            }
        })
        .collect()
}
