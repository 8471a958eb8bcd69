//! The rules R1–R7 of *Rebuild Findings Lifecycle* (docs/spec.md §2) as one pure function, shared by
//! preflight (which only reports) and execution (which writes `after` back).
//!
//! [`rebuild`] takes the findings as loaded and returns, for every finding that any rule
//! changes, its before/after row and the rules that changed it, plus per-rule counts. It does
//! no I/O and never reads the clock, so preflight and execution see the very same answer for
//! the same rows.
//!
//! # Guarantees
//!
//! - **Deterministic.** The result depends only on the set of input rows, not on their order:
//!   rows are processed, and [`Rebuild::changes`] is returned, in ascending `id` order.
//!   `id` is the primary key; repeated ids are outside the contract (no panic, but the result
//!   may then depend on input order).
//! - **Idempotent.** Feeding the `after` rows back in yields no change. After one pass every
//!   rule's precondition is false: `first_seen_at` is set, `last_seen_at >= first_seen_at`,
//!   `times_seen >= 1`, no `acknowledged` is left, each (tenant, recurrence key) has at most
//!   one open finding (so R5 sees groups of one), open findings with a known severity have a
//!   `due_at`, terminal ones have their timestamp. The literal rules of docs/spec.md already have this
//!   property; no reinterpretation was needed (the property tests below check it).
//! - **Untouchable columns.** `id`, `tenant_id`, `recurrence_key`, `severity`, `created_at` and
//!   `updated_at` are never written (`updated_at` is only ever *read*, as the source of
//!   `triaged_at`/`closed_at`/`resolved_at`, which keeps the rebuild clock-free).
//! - **Batchable.** Only R5 looks across findings, and only within one
//!   (`tenant_id`, `recurrence_key`) group. So for any input that is a union of *complete*
//!   groups (every finding of that tenant with that key, whatever its status), each finding's
//!   result equals the one a single pass over the whole tenant gives, and counts and
//!   `examined` add up ([`RuleCounts::merge`]). The executor can therefore stream a large
//!   tenant in batches cut only at group boundaries (e.g. ordered by `recurrence_key`).
//!   Mixing tenants in one input is fine for the same reason.
//!
//! # Decisions where the contract (docs/spec.md) is silent
//!
//! - **Unknown severity** (anything but exactly `low`, `medium`, `high`, `critical`; the match
//!   is case-sensitive because the column is a fixed vocabulary): R6 leaves `due_at` null and
//!   does not count a change. Inventing a deadline would be a guess written into customer data;
//!   leaving it null keeps the run idempotent and lets a later run fill it once the severity
//!   is fixed.
//! - **Unknown status** (not open, terminal or `acknowledged`): R4–R7 leave it alone; R1–R3
//!   still apply because they hold for every finding.
//! - **`times_seen` overflow**: R5's sum saturates at `i32::MAX` (the column is `int`), rather
//!   than wrapping or failing the tenant.
//! - **R5 overwrites** a duplicate's existing `closed_at`/`closed_reason` (e.g. left over from
//!   before it was reopened), as the contract's (docs/spec.md) `:=` says; R7 then finds `closed_at` set and does
//!   not count the finding again.

use std::collections::BTreeMap;
use std::fmt;

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

/// A point in time as stored in the `timestamptz` columns.
pub type Ts = DateTime<Utc>;

/// One row of the host `findings` table (docs/spec.md §1), in the shape the rules read and write.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    /// Primary key; also the final tie-breaker of R5 and the output order.
    pub id: i64,
    /// Owning tenant; R5 never groups across tenants.
    pub tenant_id: i64,
    /// Identity of "the same problem seen again"; R5 groups by it.
    pub recurrence_key: String,
    /// `low` | `medium` | `high` | `critical`; selects the R6 SLA.
    pub severity: String,
    /// Open, terminal or legacy status (docs/spec.md §1).
    pub status: String,
    /// When the problem was first observed (R1 fills it).
    pub first_seen_at: Option<Ts>,
    /// When the problem was last observed (R2, R5).
    pub last_seen_at: Option<Ts>,
    /// How often the problem was observed (R3, R5).
    pub times_seen: Option<i32>,
    /// Remediation deadline (R6).
    pub due_at: Option<Ts>,
    /// When the finding was triaged (R4).
    pub triaged_at: Option<Ts>,
    /// When the finding was resolved (R7).
    pub resolved_at: Option<Ts>,
    /// When the finding was closed or risk-accepted (R5, R7).
    pub closed_at: Option<Ts>,
    /// Why it was closed; R5 writes `duplicate`.
    pub closed_reason: Option<String>,
    /// Row creation time; the fallback for `first_seen_at`. Never written.
    pub created_at: Ts,
    /// Last host-side update; the clock-free source for the timestamps R4/R5/R7 fill. Never
    /// written.
    pub updated_at: Ts,
}

/// One rule of docs/spec.md §2, in application order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Rule {
    /// `first_seen`: fill `first_seen_at` from `created_at`.
    R1,
    /// `last_seen`: `last_seen_at` is set and not before `first_seen_at`.
    R2,
    /// `times_seen`: at least 1.
    R3,
    /// `legacy_status`: `acknowledged` becomes `triaged`.
    R4,
    /// `duplicates`: one open finding per recurrence key; the others are closed.
    R5,
    /// `due_date`: open findings get a deadline from their severity's SLA.
    R6,
    /// `terminal_timestamps`: terminal findings get their resolved/closed timestamp.
    R7,
}

impl Rule {
    /// Every rule, in application order.
    pub const ALL: [Rule; 7] = [
        Rule::R1,
        Rule::R2,
        Rule::R3,
        Rule::R4,
        Rule::R5,
        Rule::R6,
        Rule::R7,
    ];

    /// The rule's name from the table of docs/spec.md §2 (`first_seen`, ..., `terminal_timestamps`).
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Rule::R1 => "first_seen",
            Rule::R2 => "last_seen",
            Rule::R3 => "times_seen",
            Rule::R4 => "legacy_status",
            Rule::R5 => "duplicates",
            Rule::R6 => "due_date",
            Rule::R7 => "terminal_timestamps",
        }
    }

    const fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for Rule {
    /// The short code (`R1`), the same string serde and the wire format's
    /// `changes_by_rule` keys use.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "R{}", self.index() + 1)
    }
}

/// How many findings each rule changed. Serializes as `{"R1": n, ..., "R7": n}` with all seven
/// keys, and deserializes only from exactly that shape.
///
/// There is deliberately no total: a finding may count under several rules, so the sum is not
/// the number of changed findings (that is `Rebuild::changes.len()`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(into = "RuleCountsWire", from = "RuleCountsWire")]
pub struct RuleCounts([u64; 7]);

impl RuleCounts {
    /// The number of findings `rule` changed.
    #[must_use]
    pub fn get(&self, rule: Rule) -> u64 {
        self.0[rule.index()]
    }

    /// Counts one more finding changed by `rule`.
    pub fn add(&mut self, rule: Rule) {
        self.0[rule.index()] = self.0[rule.index()].saturating_add(1);
    }

    /// Adds `other`'s counts, e.g. to sum batches or tenants.
    pub fn merge(&mut self, other: &RuleCounts) {
        for (mine, theirs) in self.0.iter_mut().zip(other.0) {
            *mine = mine.saturating_add(theirs);
        }
    }
}

/// The wire shape of [`RuleCounts`]: named fields make serde require every key and reject
/// unknown or repeated ones, which a bare map would not.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleCountsWire {
    #[serde(rename = "R1")]
    r1: u64,
    #[serde(rename = "R2")]
    r2: u64,
    #[serde(rename = "R3")]
    r3: u64,
    #[serde(rename = "R4")]
    r4: u64,
    #[serde(rename = "R5")]
    r5: u64,
    #[serde(rename = "R6")]
    r6: u64,
    #[serde(rename = "R7")]
    r7: u64,
}

impl From<RuleCounts> for RuleCountsWire {
    fn from(RuleCounts([r1, r2, r3, r4, r5, r6, r7]): RuleCounts) -> Self {
        RuleCountsWire {
            r1,
            r2,
            r3,
            r4,
            r5,
            r6,
            r7,
        }
    }
}

impl From<RuleCountsWire> for RuleCounts {
    fn from(w: RuleCountsWire) -> Self {
        RuleCounts([w.r1, w.r2, w.r3, w.r4, w.r5, w.r6, w.r7])
    }
}

/// A finding some rule changed: the row as loaded, the row to write, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FindingChange {
    /// The row as given to [`rebuild`].
    pub before: Finding,
    /// The row after all rules; differs from `before`.
    pub after: Finding,
    /// The rules that changed it, in rule order, never empty.
    pub rules: Vec<Rule>,
}

/// The outcome of [`rebuild`] over one input (a tenant, or a batch of whole groups).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rebuild {
    /// How many findings were looked at (the input length).
    pub examined: u64,
    /// The changed findings only, in ascending `id` order.
    pub changes: Vec<FindingChange>,
    /// Per rule, how many of `changes` list it.
    pub counts: RuleCounts,
}

/// The SLA in days for a severity (docs/spec.md §2, R6), or `None` for a value outside the vocabulary.
#[must_use]
pub fn sla_days(severity: &str) -> Option<i64> {
    match severity {
        "critical" => Some(3),
        "high" => Some(7),
        "medium" => Some(14),
        "low" => Some(30),
        _ => None,
    }
}

/// Applies R1–R7 to `findings` and reports what changed; see the module docs for the
/// guarantees (deterministic, idempotent, batchable by whole (tenant, recurrence key) groups).
#[must_use]
pub fn rebuild(mut findings: Vec<Finding>) -> Rebuild {
    // Stable sort: with unique ids (the contract) this makes the result order-independent.
    findings.sort_by_key(|f| f.id);
    let mut work = findings.clone();
    // Bit `rule.index()` set = that rule changed the finding.
    let mut touched = vec![0u8; work.len()];

    for (f, t) in work.iter_mut().zip(touched.iter_mut()) {
        mark(t, Rule::R1, first_seen(f));
        mark(t, Rule::R2, last_seen(f));
        mark(t, Rule::R3, times_seen(f));
        mark(t, Rule::R4, legacy_status(f));
    }
    for group in open_duplicate_groups(&work) {
        duplicates(&mut work, &group, &mut touched);
    }
    for (f, t) in work.iter_mut().zip(touched.iter_mut()) {
        mark(t, Rule::R6, due_date(f));
        mark(t, Rule::R7, terminal_timestamps(f));
    }

    let examined = u64::try_from(findings.len()).unwrap_or(u64::MAX);
    let mut counts = RuleCounts::default();
    let changes: Vec<FindingChange> = findings
        .into_iter()
        .zip(work)
        .zip(touched)
        .filter(|&(_, t)| t != 0)
        .map(|((before, after), t)| {
            let rules: Vec<Rule> = Rule::ALL
                .into_iter()
                .filter(|r| t & (1 << r.index()) != 0)
                .collect();
            for &r in &rules {
                counts.add(r);
            }
            FindingChange {
                before,
                after,
                rules,
            }
        })
        .collect();

    Rebuild {
        examined,
        changes,
        counts,
    }
}

fn mark(touched: &mut u8, rule: Rule, changed: bool) {
    if changed {
        *touched |= 1 << rule.index();
    }
}

/// Writes `value` into `slot` and reports whether that changed it.
fn assign<T: PartialEq>(slot: &mut T, value: T) -> bool {
    if *slot == value {
        false
    } else {
        *slot = value;
        true
    }
}

/// Fills a null timestamp (the `coalesce(x, value)` of docs/spec.md) and reports whether it did.
fn fill(slot: &mut Option<Ts>, value: Ts) -> bool {
    if slot.is_some() {
        false
    } else {
        *slot = Some(value);
        true
    }
}

fn is_open(status: &str) -> bool {
    matches!(status, "new" | "triaged" | "in_progress" | "reopened")
}

/// `first_seen_at'`: R1's value, readable before or after R1 ran without an unwrap.
fn first_seen_of(f: &Finding) -> Ts {
    f.first_seen_at.unwrap_or(f.created_at)
}

/// `last_seen_at'`: R2's value, readable before or after R2 ran without an unwrap.
fn last_seen_of(f: &Finding) -> Ts {
    let first = first_seen_of(f);
    f.last_seen_at.unwrap_or(first).max(first)
}

/// `times_seen'`: R3's value, readable before or after R3 ran without an unwrap.
fn times_seen_of(f: &Finding) -> i32 {
    f.times_seen.unwrap_or(1).max(1)
}

/// R1.
fn first_seen(f: &mut Finding) -> bool {
    fill(&mut f.first_seen_at, f.created_at)
}

/// R2.
fn last_seen(f: &mut Finding) -> bool {
    let value = last_seen_of(f);
    assign(&mut f.last_seen_at, Some(value))
}

/// R3.
fn times_seen(f: &mut Finding) -> bool {
    let value = times_seen_of(f);
    assign(&mut f.times_seen, Some(value))
}

/// R4.
fn legacy_status(f: &mut Finding) -> bool {
    if f.status != "acknowledged" {
        return false;
    }
    f.status = "triaged".to_owned();
    fill(&mut f.triaged_at, f.updated_at);
    // The status change alone makes this a change, whatever triaged_at was.
    true
}

/// Indices (into `work`, after R4) of each (tenant, recurrence key) group of two or more open
/// findings. Groups are disjoint, so the order they are handled in does not matter.
fn open_duplicate_groups(work: &[Finding]) -> Vec<Vec<usize>> {
    let mut by_key: BTreeMap<(i64, &str), Vec<usize>> = BTreeMap::new();
    for (i, f) in work.iter().enumerate() {
        if is_open(&f.status) {
            by_key
                .entry((f.tenant_id, f.recurrence_key.as_str()))
                .or_default()
                .push(i);
        }
    }
    by_key.into_values().filter(|g| g.len() >= 2).collect()
}

/// R5 for one group of open duplicates.
fn duplicates(work: &mut [Finding], group: &[usize], touched: &mut [u8]) {
    let Some(&canonical) = group
        .iter()
        .min_by_key(|&&i| (first_seen_of(&work[i]), work[i].id))
    else {
        return;
    };
    let total = group
        .iter()
        .fold(0i32, |sum, &i| sum.saturating_add(times_seen_of(&work[i])));
    let latest = group.iter().map(|&i| last_seen_of(&work[i])).max();

    for &i in group {
        let f = &mut work[i];
        let changed = if i == canonical {
            // Non-short-circuiting `|`: both columns must be written.
            assign(&mut f.times_seen, Some(total)) | assign(&mut f.last_seen_at, latest)
        } else {
            let updated_at = f.updated_at;
            assign(&mut f.status, "closed".to_owned())
                | assign(&mut f.closed_reason, Some("duplicate".to_owned()))
                | assign(&mut f.closed_at, Some(updated_at))
        };
        mark(&mut touched[i], Rule::R5, changed);
    }
}

/// R6.
fn due_date(f: &mut Finding) -> bool {
    if !is_open(&f.status) || f.due_at.is_some() {
        return false;
    }
    let Some(due) = sla_days(&f.severity)
        .and_then(TimeDelta::try_days)
        .and_then(|sla| first_seen_of(f).checked_add_signed(sla))
    else {
        // Unknown severity (or a date beyond chrono's range): no deadline rather than a guess.
        return false;
    };
    f.due_at = Some(due);
    true
}

/// R7.
fn terminal_timestamps(f: &mut Finding) -> bool {
    match f.status.as_str() {
        "resolved" => fill(&mut f.resolved_at, f.updated_at),
        "closed" | "risk_accepted" => fill(&mut f.closed_at, f.updated_at),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet, HashMap};

    use chrono::TimeZone;
    use proptest::prelude::*;

    use super::*;

    /// Midnight UTC of 2024-01-01 plus `day` days.
    fn day(day: i64) -> Ts {
        let Some(base) = Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).single() else {
            unreachable!("2024-01-01 is a valid UTC date")
        };
        base + TimeDelta::days(day)
    }

    /// A finding with every nullable column null, created on day 0, updated on day 10.
    fn finding(id: i64, key: &str, status: &str) -> Finding {
        Finding {
            id,
            tenant_id: 1,
            recurrence_key: key.to_owned(),
            severity: "high".to_owned(),
            status: status.to_owned(),
            first_seen_at: None,
            last_seen_at: None,
            times_seen: None,
            due_at: None,
            triaged_at: None,
            resolved_at: None,
            closed_at: None,
            closed_reason: None,
            created_at: day(0),
            updated_at: day(10),
        }
    }

    /// A finding no rule touches: every column already in its rebuilt state.
    fn settled(id: i64, key: &str, status: &str) -> Finding {
        let mut f = finding(id, key, status);
        f.first_seen_at = Some(day(1));
        f.last_seen_at = Some(day(2));
        f.times_seen = Some(1);
        f.due_at = Some(day(8));
        match status {
            "resolved" => f.resolved_at = Some(day(9)),
            "closed" | "risk_accepted" => f.closed_at = Some(day(9)),
            _ => {}
        }
        f
    }

    /// The rebuilt rows: `after` for changed findings, the input for the rest.
    fn apply(findings: &[Finding], rebuild: &Rebuild) -> Vec<Finding> {
        let after: HashMap<i64, &Finding> = rebuild
            .changes
            .iter()
            .map(|c| (c.after.id, &c.after))
            .collect();
        findings
            .iter()
            .map(|f| after.get(&f.id).map_or_else(|| f.clone(), |&a| a.clone()))
            .collect()
    }

    fn change(r: &Rebuild, id: i64) -> &FindingChange {
        match r.changes.iter().find(|c| c.after.id == id) {
            Some(c) => c,
            None => panic!("finding {id} should have changed; changes: {:?}", r.changes),
        }
    }

    fn after(r: &Rebuild, input: &[Finding], id: i64) -> Finding {
        match apply(input, r).into_iter().find(|f| f.id == id) {
            Some(f) => f,
            None => panic!("finding {id} is not in the input"),
        }
    }

    fn rules_of(r: &Rebuild, id: i64) -> Vec<Rule> {
        r.changes
            .iter()
            .find(|c| c.after.id == id)
            .map(|c| c.rules.clone())
            .unwrap_or_default()
    }

    // ---- R1 ----

    #[test]
    fn r1_fills_first_seen_from_created_at() {
        let input = vec![finding(1, "k", "resolved")];
        let r = rebuild(input.clone());
        assert_eq!(after(&r, &input, 1).first_seen_at, Some(day(0)));
        assert!(rules_of(&r, 1).contains(&Rule::R1));
    }

    #[test]
    fn r1_keeps_an_existing_first_seen_even_after_created_at() {
        let mut f = settled(1, "k", "new");
        f.first_seen_at = Some(day(5));
        f.last_seen_at = Some(day(5));
        let r = rebuild(vec![f]);
        assert!(r.changes.is_empty(), "{:?}", r.changes);
    }

    // ---- R2 ----

    #[test]
    fn r2_fills_null_last_seen_with_first_seen_prime() {
        // Both null: last_seen_at comes from created_at through R1's value.
        let input = vec![finding(1, "k", "resolved")];
        let r = rebuild(input.clone());
        assert_eq!(after(&r, &input, 1).last_seen_at, Some(day(0)));
        assert!(rules_of(&r, 1).contains(&Rule::R2));
    }

    #[test]
    fn r2_raises_last_seen_before_first_seen() {
        let mut f = settled(1, "k", "new");
        f.first_seen_at = Some(day(4));
        f.last_seen_at = Some(day(2));
        let input = vec![f];
        let r = rebuild(input.clone());
        assert_eq!(after(&r, &input, 1).last_seen_at, Some(day(4)));
        assert_eq!(rules_of(&r, 1), vec![Rule::R2]);
    }

    #[test]
    fn r2_keeps_last_seen_after_first_seen() {
        let mut f = settled(1, "k", "new");
        f.last_seen_at = Some(day(7));
        assert!(rebuild(vec![f]).changes.is_empty());
    }

    // ---- R3 ----

    #[test]
    fn r3_clamps_null_zero_and_negative_to_one() {
        let mut input = Vec::new();
        for (id, ts) in [(1, None), (2, Some(0)), (3, Some(-5)), (4, Some(i32::MIN))] {
            let mut f = settled(id, &format!("k{id}"), "new");
            f.times_seen = ts;
            input.push(f);
        }
        let r = rebuild(input.clone());
        for id in 1..=4 {
            assert_eq!(after(&r, &input, id).times_seen, Some(1), "finding {id}");
            assert_eq!(rules_of(&r, id), vec![Rule::R3], "finding {id}");
        }
    }

    #[test]
    fn r3_keeps_positive_times_seen() {
        let mut f = settled(1, "k", "new");
        f.times_seen = Some(42);
        assert!(rebuild(vec![f]).changes.is_empty());
    }

    // ---- R4 ----

    #[test]
    fn r4_turns_acknowledged_into_triaged_with_updated_at() {
        let input = vec![settled(1, "k", "acknowledged")];
        let r = rebuild(input.clone());
        let a = after(&r, &input, 1);
        assert_eq!(a.status, "triaged");
        assert_eq!(a.triaged_at, Some(day(10)));
        assert_eq!(rules_of(&r, 1), vec![Rule::R4]);
    }

    #[test]
    fn r4_keeps_an_existing_triaged_at_but_still_counts_the_status() {
        let mut f = settled(1, "k", "acknowledged");
        f.triaged_at = Some(day(3));
        let input = vec![f];
        let r = rebuild(input.clone());
        let a = after(&r, &input, 1);
        assert_eq!((a.status.as_str(), a.triaged_at), ("triaged", Some(day(3))));
        assert_eq!(r.counts.get(Rule::R4), 1);
    }

    #[test]
    fn r4_leaves_triaged_with_null_triaged_at_alone() {
        // Only the legacy status is repaired; docs/spec.md has no rule inventing triaged_at otherwise.
        let f = settled(1, "k", "triaged");
        assert!(rebuild(vec![f]).changes.is_empty());
    }

    // ---- R5 ----

    #[test]
    fn r5_merges_open_duplicates_and_ignores_terminal_ones() {
        let mut canonical = settled(1, "k", "new");
        canonical.first_seen_at = Some(day(1));
        canonical.last_seen_at = Some(day(3));
        canonical.times_seen = Some(2);
        let mut dup = settled(2, "k", "in_progress");
        dup.first_seen_at = Some(day(2));
        dup.last_seen_at = Some(day(6));
        dup.times_seen = Some(5);
        dup.updated_at = day(11);
        let mut resolved = settled(3, "k", "resolved");
        resolved.first_seen_at = Some(day(0));
        resolved.last_seen_at = Some(day(9));
        resolved.times_seen = Some(100);
        let mut closed = settled(4, "k", "closed");
        closed.first_seen_at = Some(day(0));
        closed.times_seen = Some(100);
        let input = vec![canonical, dup, resolved, closed];

        let r = rebuild(input.clone());
        let c = after(&r, &input, 1);
        assert_eq!((c.times_seen, c.last_seen_at), (Some(7), Some(day(6))));
        assert_eq!(c.status, "new");
        let d = after(&r, &input, 2);
        assert_eq!(d.status, "closed");
        assert_eq!(d.closed_reason.as_deref(), Some("duplicate"));
        assert_eq!(d.closed_at, Some(day(11)));
        assert_eq!(d.times_seen, Some(5), "a duplicate keeps its own count");
        assert_eq!(rules_of(&r, 1), vec![Rule::R5]);
        assert_eq!(rules_of(&r, 2), vec![Rule::R5]);
        assert!(rules_of(&r, 3).is_empty() && rules_of(&r, 4).is_empty());
        assert_eq!(r.counts.get(Rule::R5), 2);
    }

    #[test]
    fn r5_uses_primed_values_of_the_group() {
        // Canonical by first_seen' = created_at; the others' nulls count as R2/R3 fill them.
        let mut a = finding(1, "k", "new"); // fs' = day 0, ls' = day 0, ts' = 1
        a.created_at = day(0);
        let mut b = finding(2, "k", "new");
        b.first_seen_at = Some(day(4));
        b.last_seen_at = Some(day(1)); // ls' = day 4
        b.times_seen = Some(-3); // ts' = 1
        let input = vec![b, a];
        let r = rebuild(input.clone());
        let c = after(&r, &input, 1);
        assert_eq!((c.times_seen, c.last_seen_at), (Some(2), Some(day(4))));
        assert_eq!(after(&r, &input, 2).status, "closed");
    }

    #[test]
    fn r5_breaks_first_seen_ties_by_id() {
        let input: Vec<Finding> = [9, 3, 5].map(|id| settled(id, "k", "new")).to_vec();
        let r = rebuild(input.clone());
        assert_eq!(after(&r, &input, 3).status, "new");
        assert_eq!(after(&r, &input, 3).times_seen, Some(3));
        assert_eq!(after(&r, &input, 5).status, "closed");
        assert_eq!(after(&r, &input, 9).status, "closed");
    }

    #[test]
    fn r5_counts_reopened_as_open() {
        let mut old = settled(1, "k", "reopened");
        old.first_seen_at = Some(day(0));
        // A leftover from the earlier closing: R5's `:=` overwrites it.
        old.closed_at = Some(day(1));
        old.closed_reason = Some("fixed".to_owned());
        let new = settled(2, "k", "reopened");
        let input = vec![old, new];
        let r = rebuild(input.clone());
        assert_eq!(after(&r, &input, 1).status, "reopened");
        let d = after(&r, &input, 2);
        assert_eq!(d.status, "closed");
        assert_eq!(
            (d.closed_at, d.closed_reason.as_deref()),
            (Some(day(10)), Some("duplicate"))
        );
    }

    #[test]
    fn r5_overwrites_an_existing_closed_at_and_r7_does_not_count_it() {
        let a = settled(1, "k", "new");
        let mut b = settled(2, "k", "new");
        b.closed_at = Some(day(3));
        let input = vec![a, b];
        let r = rebuild(input.clone());
        assert_eq!(after(&r, &input, 2).closed_at, Some(day(10)));
        assert_eq!(rules_of(&r, 2), vec![Rule::R5]);
        assert_eq!(r.counts.get(Rule::R7), 0);
    }

    #[test]
    fn r5_acknowledged_becomes_triaged_then_joins_the_group() {
        let mut ack = settled(1, "k", "acknowledged");
        ack.first_seen_at = Some(day(0)); // the oldest: canonical
        let newer = settled(2, "k", "new");
        let mut ack_dup = settled(3, "k", "acknowledged");
        ack_dup.first_seen_at = Some(day(5));
        ack_dup.last_seen_at = Some(day(5));
        let input = vec![ack, newer, ack_dup];
        let r = rebuild(input.clone());

        let c = after(&r, &input, 1);
        assert_eq!((c.status.as_str(), c.times_seen), ("triaged", Some(3)));
        assert_eq!(c.last_seen_at, Some(day(5)));
        assert_eq!(rules_of(&r, 1), vec![Rule::R4, Rule::R5]);

        let d = after(&r, &input, 3);
        assert_eq!(d.status, "closed");
        assert_eq!(d.triaged_at, Some(day(10)), "R4's triaged_at stays");
        assert_eq!(rules_of(&r, 3), vec![Rule::R4, Rule::R5]);
        assert_eq!(rules_of(&r, 2), vec![Rule::R5]);
    }

    #[test]
    fn r5_single_open_finding_is_not_a_group() {
        let open = settled(1, "k", "new");
        let mut closed = settled(2, "k", "closed");
        closed.first_seen_at = Some(day(0));
        assert!(rebuild(vec![open, closed]).changes.is_empty());
    }

    #[test]
    fn r5_never_groups_across_tenants_or_keys() {
        let a = settled(1, "k", "new");
        let mut b = settled(2, "k", "new");
        b.tenant_id = 2;
        let c = settled(3, "other", "new");
        assert!(rebuild(vec![a, b, c]).changes.is_empty());
    }

    #[test]
    fn r5_sum_saturates_instead_of_overflowing() {
        let mut a = settled(1, "k", "new");
        a.times_seen = Some(i32::MAX);
        a.last_seen_at = Some(day(9));
        let b = settled(2, "k", "new");
        let input = vec![a, b];
        let r = rebuild(input.clone());
        assert_eq!(after(&r, &input, 1).times_seen, Some(i32::MAX));
        // Nothing to change on the canonical: only the duplicate counts.
        assert_eq!(rules_of(&r, 1), Vec::<Rule>::new());
        assert_eq!(r.counts.get(Rule::R5), 1);
    }

    // ---- R6 ----

    #[test]
    fn r6_sets_due_at_from_first_seen_prime_and_severity() {
        let mut input = Vec::new();
        for (id, severity) in [(1, "critical"), (2, "high"), (3, "medium"), (4, "low")] {
            let mut f = settled(id, &format!("k{id}"), "in_progress");
            f.due_at = None;
            f.first_seen_at = None; // R1 fills it from created_at = day 0 first
            f.last_seen_at = None;
            f.severity = severity.to_owned();
            input.push(f);
        }
        let r = rebuild(input.clone());
        for (id, days) in [(1, 3), (2, 7), (3, 14), (4, 30)] {
            assert_eq!(
                after(&r, &input, id).due_at,
                Some(day(days)),
                "finding {id}"
            );
            assert!(rules_of(&r, id).contains(&Rule::R6));
        }
    }

    #[test]
    fn r6_leaves_unknown_severity_without_due_at() {
        let mut input = Vec::new();
        for (id, severity) in [(1, "urgent"), (2, "High"), (3, ""), (4, " low")] {
            let mut f = settled(id, &format!("k{id}"), "new");
            f.due_at = None;
            f.severity = severity.to_owned();
            input.push(f);
        }
        let r = rebuild(input);
        assert!(r.changes.is_empty(), "{:?}", r.changes);
        assert_eq!(r.counts.get(Rule::R6), 0);
    }

    #[test]
    fn r6_keeps_an_existing_due_at_and_skips_terminal_and_duplicates() {
        let mut existing = settled(1, "a", "new");
        existing.due_at = Some(day(100));
        let mut resolved = settled(2, "b", "resolved");
        resolved.due_at = None;
        let mut canonical = settled(3, "c", "new");
        canonical.due_at = None;
        let mut dup = settled(4, "c", "new");
        dup.due_at = None;
        let input = vec![existing, resolved, canonical, dup];
        let r = rebuild(input.clone());
        assert!(rules_of(&r, 1).is_empty() && rules_of(&r, 2).is_empty());
        assert_eq!(after(&r, &input, 3).due_at, Some(day(1 + 7)));
        assert_eq!(after(&r, &input, 4).due_at, None, "closed by R5 first");
        assert_eq!(rules_of(&r, 4), vec![Rule::R5]);
    }

    #[test]
    fn sla_days_matches_the_spec_table() {
        assert_eq!(sla_days("critical"), Some(3));
        assert_eq!(sla_days("high"), Some(7));
        assert_eq!(sla_days("medium"), Some(14));
        assert_eq!(sla_days("low"), Some(30));
        assert_eq!(sla_days("CRITICAL"), None);
        assert_eq!(sla_days("info"), None);
    }

    // ---- R7 ----

    #[test]
    fn r7_fills_terminal_timestamps_from_updated_at() {
        let input = vec![
            settled(1, "a", "resolved"),
            settled(2, "b", "closed"),
            settled(3, "c", "risk_accepted"),
        ]
        .into_iter()
        .map(|mut f| {
            f.resolved_at = None;
            f.closed_at = None;
            f
        })
        .collect::<Vec<_>>();
        let r = rebuild(input.clone());
        let resolved = after(&r, &input, 1);
        assert_eq!(
            (resolved.resolved_at, resolved.closed_at),
            (Some(day(10)), None)
        );
        for id in [2, 3] {
            let f = after(&r, &input, id);
            assert_eq!(
                (f.closed_at, f.resolved_at),
                (Some(day(10)), None),
                "finding {id}"
            );
            assert_eq!(f.closed_reason, None, "R7 gives no reason");
        }
        for id in 1..=3 {
            assert_eq!(rules_of(&r, id), vec![Rule::R7], "finding {id}");
        }
        assert_eq!(r.counts.get(Rule::R7), 3);
    }

    #[test]
    fn r7_keeps_existing_timestamps_and_ignores_open_findings() {
        let mut open = settled(2, "b", "new");
        open.resolved_at = None;
        open.closed_at = None;
        let input = vec![
            settled(1, "a", "resolved"),
            open,
            settled(3, "c", "closed"),
            settled(4, "d", "risk_accepted"),
        ];
        assert!(rebuild(input).changes.is_empty());
    }

    #[test]
    fn unknown_status_gets_only_r1_to_r3() {
        let input = vec![finding(1, "k", "wontfix"), finding(2, "k", "wontfix")];
        let r = rebuild(input);
        for c in &r.changes {
            assert_eq!(c.rules, vec![Rule::R1, Rule::R2, Rule::R3]);
        }
    }

    // ---- reporting ----

    #[test]
    fn a_finding_changed_by_several_rules_counts_under_each() {
        let input = vec![finding(1, "k", "acknowledged")];
        let r = rebuild(input);
        assert_eq!(r.examined, 1);
        assert_eq!(r.changes.len(), 1);
        assert_eq!(
            r.changes[0].rules,
            vec![Rule::R1, Rule::R2, Rule::R3, Rule::R4, Rule::R6]
        );
        for rule in Rule::ALL {
            let expected = u64::from(!matches!(rule, Rule::R5 | Rule::R7));
            assert_eq!(r.counts.get(rule), expected, "{rule}");
        }
    }

    #[test]
    fn only_changed_findings_are_listed_in_id_order() {
        let input = vec![
            finding(30, "a", "new"),
            settled(10, "b", "new"),
            finding(20, "c", "closed"),
        ];
        let r = rebuild(input);
        assert_eq!(r.examined, 3);
        let ids: Vec<i64> = r.changes.iter().map(|c| c.after.id).collect();
        assert_eq!(ids, vec![20, 30]);
        assert_eq!(change(&r, 20).before, finding(20, "c", "closed"));
    }

    #[test]
    fn empty_input_gives_an_empty_rebuild() {
        let r = rebuild(Vec::new());
        assert_eq!(
            r,
            Rebuild {
                examined: 0,
                changes: Vec::new(),
                counts: RuleCounts::default()
            }
        );
    }

    // ---- Rule and RuleCounts ----

    #[test]
    fn rule_codes_and_names() {
        let codes: Vec<String> = Rule::ALL.iter().map(ToString::to_string).collect();
        assert_eq!(codes, ["R1", "R2", "R3", "R4", "R5", "R6", "R7"]);
        let names: Vec<&str> = Rule::ALL.iter().map(|r| r.name()).collect();
        assert_eq!(
            names,
            [
                "first_seen",
                "last_seen",
                "times_seen",
                "legacy_status",
                "duplicates",
                "due_date",
                "terminal_timestamps"
            ]
        );
        for rule in Rule::ALL {
            assert_eq!(
                serde_json::to_value(rule).ok(),
                Some(serde_json::Value::String(rule.to_string()))
            );
        }
    }

    #[test]
    fn rule_counts_get_add_merge() {
        let mut a = RuleCounts::default();
        a.add(Rule::R2);
        a.add(Rule::R2);
        a.add(Rule::R7);
        let mut b = RuleCounts::default();
        b.add(Rule::R2);
        b.add(Rule::R5);
        a.merge(&b);
        let got: Vec<u64> = Rule::ALL.iter().map(|&r| a.get(r)).collect();
        assert_eq!(got, [0, 3, 0, 0, 1, 0, 1]);
    }

    #[test]
    fn rule_counts_serialize_with_all_seven_keys() {
        let mut counts = RuleCounts::default();
        counts.add(Rule::R3);
        let json = serde_json::to_value(counts).ok();
        assert_eq!(
            json,
            Some(serde_json::json!({
                "R1": 0, "R2": 0, "R3": 1, "R4": 0, "R5": 0, "R6": 0, "R7": 0
            }))
        );
        let back: Option<RuleCounts> = json.and_then(|j| serde_json::from_value(j).ok());
        assert_eq!(back, Some(counts));
    }

    #[test]
    fn rule_counts_reject_missing_unknown_and_repeated_keys() {
        let missing = r#"{"R1":0,"R2":0,"R3":0,"R4":0,"R5":0,"R6":0}"#;
        let unknown = r#"{"R1":0,"R2":0,"R3":0,"R4":0,"R5":0,"R6":0,"R7":0,"R8":1}"#;
        let repeated = r#"{"R1":0,"R1":1,"R2":0,"R3":0,"R4":0,"R5":0,"R6":0,"R7":0}"#;
        let negative = r#"{"R1":-1,"R2":0,"R3":0,"R4":0,"R5":0,"R6":0,"R7":0}"#;
        for bad in [missing, unknown, repeated, negative] {
            assert!(serde_json::from_str::<RuleCounts>(bad).is_err(), "{bad}");
        }
    }

    // ---- properties ----

    const STATUSES: [&str; 9] = [
        "new",
        "triaged",
        "in_progress",
        "reopened",
        "resolved",
        "closed",
        "risk_accepted",
        "acknowledged",
        "wontfix",
    ];
    const SEVERITIES: [&str; 5] = ["low", "medium", "high", "critical", "urgent"];
    const KEYS: [&str; 3] = ["dup-a", "dup-b", "dup-c"];

    /// A day offset from a small range, so that ties (e.g. on `first_seen_at`) are common.
    fn ts() -> impl Strategy<Value = Ts> {
        (0i64..12, prop_oneof![Just(0i64), 0i64..86_400])
            .prop_map(|(d, s)| day(d) + TimeDelta::seconds(s))
    }

    fn opt_ts() -> impl Strategy<Value = Option<Ts>> {
        proptest::option::of(ts())
    }

    /// A finding with id 0; [`findings`] assigns unique ids.
    fn any_finding() -> impl Strategy<Value = Finding> {
        let identity = (
            1i64..=3,
            proptest::sample::select(KEYS.to_vec()),
            proptest::sample::select(SEVERITIES.to_vec()),
            proptest::sample::select(STATUSES.to_vec()),
        );
        let seen = (
            opt_ts(),
            opt_ts(),
            proptest::option::of(prop_oneof![-3i32..6, Just(i32::MAX - 1), Just(i32::MIN)]),
            opt_ts(),
        );
        let lifecycle = (
            opt_ts(),
            opt_ts(),
            opt_ts(),
            proptest::option::of(proptest::sample::select(vec!["duplicate", "fixed"])),
            ts(),
            ts(),
        );
        (identity, seen, lifecycle).prop_map(
            |(
                (tenant_id, key, severity, status),
                (first_seen_at, last_seen_at, times_seen, due_at),
                (triaged_at, resolved_at, closed_at, closed_reason, created_at, updated_at),
            )| Finding {
                id: 0,
                tenant_id,
                recurrence_key: key.to_owned(),
                severity: severity.to_owned(),
                status: status.to_owned(),
                first_seen_at,
                last_seen_at,
                times_seen,
                due_at,
                triaged_at,
                resolved_at,
                closed_at,
                closed_reason: closed_reason.map(str::to_owned),
                created_at,
                updated_at,
            },
        )
    }

    /// Up to 40 findings with unique, sparse ids in arbitrary input order.
    fn findings() -> impl Strategy<Value = Vec<Finding>> {
        proptest::collection::vec(any_finding(), 0..40)
            .prop_flat_map(|fs| {
                let n = fs.len();
                (Just(fs), proptest::collection::btree_set(1i64..1_000, n))
            })
            .prop_map(|(fs, ids)| {
                fs.into_iter()
                    .zip(ids)
                    .map(|(f, id)| Finding { id, ..f })
                    .collect::<Vec<_>>()
            })
            .prop_shuffle()
    }

    fn by_id(findings: Vec<Finding>) -> BTreeMap<i64, Finding> {
        findings.into_iter().map(|f| (f.id, f)).collect()
    }

    proptest! {
        #[test]
        fn deterministic_and_independent_of_input_order(
            (input, shuffled) in findings().prop_flat_map(|fs| (Just(fs.clone()), Just(fs).prop_shuffle()))
        ) {
            let first = rebuild(input.clone());
            prop_assert_eq!(&first, &rebuild(input));
            prop_assert_eq!(&first, &rebuild(shuffled));
        }

        #[test]
        fn idempotent(input in findings()) {
            let once = apply(&input, &rebuild(input.clone()));
            let twice = rebuild(once);
            prop_assert!(twice.changes.is_empty(), "second run changed {:?}", twice.changes);
            prop_assert_eq!(twice.counts, RuleCounts::default());
        }

        #[test]
        fn never_writes_forbidden_columns(input in findings()) {
            for c in rebuild(input).changes {
                let (b, a) = (&c.before, &c.after);
                prop_assert_eq!(b.id, a.id);
                prop_assert_eq!(b.tenant_id, a.tenant_id);
                prop_assert_eq!(&b.recurrence_key, &a.recurrence_key);
                prop_assert_eq!(&b.severity, &a.severity);
                prop_assert_eq!(b.created_at, a.created_at);
                prop_assert_eq!(b.updated_at, a.updated_at);
            }
        }

        #[test]
        fn changes_report_exactly_the_changed_findings(input in findings()) {
            let r = rebuild(input.clone());
            prop_assert_eq!(r.examined, input.len() as u64);
            let ids: Vec<i64> = r.changes.iter().map(|c| c.after.id).collect();
            prop_assert!(ids.windows(2).all(|w| w[0] < w[1]), "not in id order: {:?}", ids);
            let inputs = by_id(input.clone());
            for c in &r.changes {
                prop_assert_eq!(Some(&c.before), inputs.get(&c.before.id));
                prop_assert_ne!(&c.before, &c.after);
                prop_assert!(!c.rules.is_empty());
                prop_assert!(c.rules.windows(2).all(|w| w[0] < w[1]));
            }
            // Every finding left out of `changes` is already in its rebuilt state.
            let listed: BTreeSet<i64> = ids.into_iter().collect();
            let unlisted: Vec<Finding> =
                input.into_iter().filter(|f| !listed.contains(&f.id)).collect();
            prop_assert!(rebuild(unlisted).changes.is_empty());
        }

        #[test]
        fn counts_equal_changes_listing_each_rule(input in findings()) {
            let r = rebuild(input);
            for rule in Rule::ALL {
                let listing = r.changes.iter().filter(|c| c.rules.contains(&rule)).count();
                prop_assert_eq!(r.counts.get(rule), listing as u64, "{}", rule);
            }
        }

        #[test]
        fn result_satisfies_the_target_state(input in findings()) {
            let out = apply(&input, &rebuild(input.clone()));
            let mut open_per_group: BTreeMap<(i64, &str), usize> = BTreeMap::new();
            for f in &out {
                let first = f.first_seen_at;
                prop_assert!(first.is_some());
                prop_assert!(f.last_seen_at >= first);
                prop_assert!(f.times_seen >= Some(1));
                prop_assert_ne!(f.status.as_str(), "acknowledged");
                if is_open(&f.status) {
                    *open_per_group.entry((f.tenant_id, f.recurrence_key.as_str())).or_default() += 1;
                    if sla_days(&f.severity).is_some() {
                        prop_assert!(f.due_at.is_some());
                    }
                }
                match f.status.as_str() {
                    "resolved" => prop_assert!(f.resolved_at.is_some()),
                    "closed" | "risk_accepted" => prop_assert!(f.closed_at.is_some()),
                    _ => {}
                }
            }
            prop_assert!(open_per_group.values().all(|&n| n == 1));
        }

        #[test]
        fn batches_of_whole_groups_give_the_whole_result(input in findings(), mask in any::<u64>()) {
            // Assign each (tenant, key) group to batch 0 or 1 by one bit of `mask`.
            let groups: Vec<(i64, String)> = input
                .iter()
                .map(|f| (f.tenant_id, f.recurrence_key.clone()))
                .collect::<BTreeSet<_>>()
                .into_iter()
                .collect();
            let batch_of = |f: &Finding| {
                let g = groups.iter().position(|g| g.0 == f.tenant_id && g.1 == f.recurrence_key);
                g.map_or(0, |i| (mask >> (i % 64)) & 1)
            };
            let (a, b): (Vec<Finding>, Vec<Finding>) =
                input.iter().cloned().partition(|f| batch_of(f) == 0);

            let whole = rebuild(input);
            let (ra, rb) = (rebuild(a), rebuild(b));
            prop_assert_eq!(ra.examined + rb.examined, whole.examined);
            let mut counts = ra.counts;
            counts.merge(&rb.counts);
            prop_assert_eq!(counts, whole.counts);
            let mut merged: Vec<FindingChange> = ra.changes.into_iter().chain(rb.changes).collect();
            merged.sort_by_key(|c| c.after.id);
            prop_assert_eq!(merged, whole.changes);
        }
    }
}
