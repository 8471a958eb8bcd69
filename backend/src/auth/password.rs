//! Password hashing with argon2id, on a bounded pool. Unknown users are checked against a dummy
//! hash so that a wrong password and an unknown username cost the same time.
//!
//! Each argon2id computation needs ~19 MiB of working memory for tens of milliseconds.
//! Unbounded, 100 concurrent failed logins took the server from 20 MB to a 3.8 GB peak, and it
//! stayed high. Two causes, two fixes:
//!
//! - Concurrency: [`HashPool`] runs at most `HASH_CONCURRENCY` computations at once, on that
//!   many long-lived threads; a request that cannot get a slot within `HASH_WAIT_MS` is refused
//!   with [`HashError::Busy`] (503 with `Retry-After`) instead of queueing without bound. The
//!   slots are split between the planes and capped per client address (docs/spec.md §11, second
//!   pass): a flood of customer logins from one address once locked operators out.
//! - Retention: argon2's own allocation is 64-byte aligned, and glibc serves repeated large
//!   aligned allocations so that freed ones are not reused — measured: +19 MiB of RSS per
//!   verification, up to ~150 MiB per thread. So the working memory is allocated once per
//!   thread and reused ([`MEMORY`]), through argon2's `hash_password_into_with_memory`.

use std::cell::RefCell;
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::mpsc;
use std::sync::{Arc, LazyLock, Mutex};
use std::time::Duration;

use argon2::password_hash::phc::{Output, ParamsString, Salt};
use argon2::{Algorithm, Argon2, Block, Params, PasswordHash, Version};
use rand::RngCore;
use tokio::sync::{Semaphore, oneshot};

use crate::auth::principal::Plane;

thread_local! {
    /// This thread's argon2 working memory, grown to the largest cost it has seen and reused.
    static MEMORY: RefCell<Vec<Block>> = const { RefCell::new(Vec::new()) };
}

/// Runs argon2 over `pwd` and `salt` into `out` with this thread's reusable working memory.
fn compute(argon: &Argon2<'_>, params: &Params, pwd: &[u8], salt: &[u8], out: &mut [u8]) -> bool {
    let blocks = params.block_count();
    MEMORY.with_borrow_mut(|memory| {
        if memory.len() < blocks {
            memory.resize(blocks, Block::default());
        }
        argon
            .hash_password_into_with_memory(pwd, salt, out, &mut memory[..blocks])
            .is_ok()
    })
}

/// Hashes `password` with argon2id (default parameters) and a random 16-byte salt; returns the
/// PHC string.
pub fn hash(password: &str) -> Result<String, argon2::password_hash::Error> {
    let params = Params::default();
    let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
    let mut salt = [0u8; 16];
    rand::rng().fill_bytes(&mut salt);
    let mut out = [0u8; Params::DEFAULT_OUTPUT_LEN];
    if !compute(&argon, &params, password.as_bytes(), &salt, &mut out) {
        return Err(argon2::password_hash::Error::Crypto);
    }
    let phc = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(&params)?,
        salt: Some(Salt::new(&salt)?),
        hash: Some(Output::new(&out)?),
    };
    Ok(phc.to_string())
}

/// Whether `password` matches the PHC string `phc` (any argon2 variant, version and cost it
/// names). A malformed stored hash never matches. The comparison is constant-time.
pub fn verify(password: &str, phc: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(phc) else {
        return false;
    };
    let (Some(salt), Some(expected)) = (&parsed.salt, &parsed.hash) else {
        return false;
    };
    let Ok(algorithm) = Algorithm::try_from(parsed.algorithm.as_str()) else {
        return false;
    };
    let Ok(version) = parsed
        .version
        .map_or(Ok(Version::default()), Version::try_from)
    else {
        return false;
    };
    let Ok(params) = Params::try_from(&parsed) else {
        return false;
    };
    let argon = Argon2::new(algorithm, version, params.clone());
    let mut out = vec![0u8; expected.len()];
    compute(
        &argon,
        &params,
        password.as_bytes(),
        salt.as_ref(),
        &mut out,
    ) && Output::new(&out).is_ok_and(|computed| &computed == expected)
}

static DUMMY_HASH: LazyLock<String> =
    LazyLock::new(|| hash("dummy password for timing equalization").unwrap_or_default());

/// Spends the time of one verification, for a login whose username does not exist.
pub fn verify_dummy(password: &str) {
    let _ = verify(password, &DUMMY_HASH);
}

/// Why the pool did not hash.
#[derive(Debug, thiserror::Error)]
pub enum HashError {
    /// Every slot stayed busy for the whole wait.
    #[error("password hashing is busy; retry in {retry_after_secs} s")]
    Busy {
        /// When a retry is likely to find a slot.
        retry_after_secs: u64,
    },
    /// The pool's threads are gone (a panic inside argon2), or hashing itself failed.
    #[error("password hashing failed: {0}")]
    Failed(String),
}

type Job = Box<dyn FnOnce() + Send>;

/// Who asks for a hash: the plane and the client address. The pool shares its slots by both.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Source {
    plane: Plane,
    /// The client IP (an IPv6 address as its /64), or `unknown`.
    ip: String,
}

impl Source {
    /// A request on `plane` from `ip` (as the one client-IP function resolved it).
    pub fn new(plane: Plane, ip: Option<&str>) -> Self {
        let ip = match ip.and_then(|ip| ip.parse::<IpAddr>().ok()) {
            Some(IpAddr::V6(v6)) => {
                let mut octets = v6.octets();
                octets[8..].fill(0);
                IpAddr::from(octets).to_string()
            }
            Some(v4) => v4.to_string(),
            None => ip.unwrap_or("unknown").to_owned(),
        };
        Self { plane, ip }
    }
}

/// A fixed set of hashing threads, shared fairly: each plane has its own slots (an operator
/// login never waits behind customer logins), and one client address may hold at most
/// [`HashPool::per_source`] of its plane's slots, so a flood from one address leaves the rest
/// to everyone else. Waits are bounded: beyond `HASH_WAIT_MS` the request is refused.
#[derive(Debug)]
pub struct HashPool {
    system: Arc<Semaphore>,
    admin: Arc<Semaphore>,
    per_source: usize,
    sources: Mutex<HashMap<Source, Arc<Semaphore>>>,
    wait: Duration,
    jobs: Mutex<mpsc::Sender<Job>>,
}

impl HashPool {
    /// `threads` hashing threads (`HASH_CONCURRENCY`), split between the planes (the operator
    /// plane gets the odd one; at least one each); callers wait at most `wait` for a slot.
    pub fn new(threads: usize, wait: Duration) -> Self {
        let admin = (threads / 2).max(1);
        let system = threads.saturating_sub(admin).max(1);
        let per_source = (system.min(admin) / 2).max(1);
        let threads = system + admin;
        let (tx, rx) = mpsc::channel::<Job>();
        let rx = Arc::new(Mutex::new(rx));
        for i in 0..threads {
            let rx = Arc::clone(&rx);
            let spawned = std::thread::Builder::new()
                .name(format!("argon2-{i}"))
                .spawn(move || {
                    loop {
                        // The lock is held only while waiting for the next job.
                        let job = match rx.lock() {
                            Ok(guard) => guard.recv(),
                            Err(_) => return,
                        };
                        match job {
                            Ok(job) => job(),
                            Err(_) => return, // the pool was dropped
                        }
                    }
                });
            if let Err(e) = spawned {
                tracing::error!(error = %e, "cannot start a password hashing thread");
            }
        }
        Self {
            system: Arc::new(Semaphore::new(system)),
            admin: Arc::new(Semaphore::new(admin)),
            per_source,
            sources: Mutex::new(HashMap::new()),
            wait,
            jobs: Mutex::new(tx),
        }
    }

    /// Slots one client address may hold at once on one plane.
    pub fn per_source(&self) -> usize {
        self.per_source
    }

    fn share(&self, plane: Plane) -> &Arc<Semaphore> {
        match plane {
            Plane::System => &self.system,
            Plane::Admin => &self.admin,
        }
    }

    /// Runs `work` on a hashing thread once `source` may take a slot of its plane, or refuses
    /// after the wait.
    async fn run<T: Send + 'static>(
        &self,
        source: &Source,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, HashError> {
        let per_source = self
            .sources
            .lock()
            .map_err(|e| HashError::Failed(e.to_string()))?
            .entry(source.clone())
            .or_insert_with(|| Arc::new(Semaphore::new(self.per_source)))
            .clone();
        let result = self.run_with(per_source, source.plane, work).await;
        self.forget_if_idle(source);
        result
    }

    async fn run_with<T: Send + 'static>(
        &self,
        per_source: Arc<Semaphore>,
        plane: Plane,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, HashError> {
        let busy = || HashError::Busy {
            retry_after_secs: self.wait.as_secs().max(1),
        };
        let deadline = tokio::time::Instant::now() + self.wait;
        let own = tokio::time::timeout_at(deadline, per_source.acquire_owned())
            .await
            .map_err(|_| busy())?
            .map_err(|e| HashError::Failed(e.to_string()))?;
        let slot = tokio::time::timeout_at(deadline, Arc::clone(self.share(plane)).acquire_owned())
            .await
            .map_err(|_| busy())?
            .map_err(|e| HashError::Failed(e.to_string()))?;
        let (tx, rx) = oneshot::channel();
        let job: Job = Box::new(move || {
            let out = work();
            // Released before the answer, so the caller sees its source idle again.
            drop(slot);
            drop(own);
            let _ = tx.send(out);
        });
        self.jobs
            .lock()
            .map_err(|e| HashError::Failed(e.to_string()))?
            .send(job)
            .map_err(|e| HashError::Failed(e.to_string()))?;
        rx.await
            .map_err(|_| HashError::Failed("the hashing thread stopped".into()))
    }

    /// Drops `source`'s entry once nobody holds or waits for it, so the map stays as small as
    /// the set of addresses hashing right now.
    fn forget_if_idle(&self, source: &Source) {
        if let Ok(mut sources) = self.sources.lock()
            && sources
                .get(source)
                .is_some_and(|s| Arc::strong_count(s) == 1)
        {
            sources.remove(source);
        }
    }

    /// Verifies `password` against `phc`, or against the dummy hash when there is no account
    /// (returns false then), in the same time either way.
    pub async fn verify(
        &self,
        source: &Source,
        password: &str,
        phc: Option<String>,
    ) -> Result<bool, HashError> {
        let password = password.to_owned();
        self.run(source, move || match phc {
            Some(phc) => verify(&password, &phc),
            None => {
                verify_dummy(&password);
                false
            }
        })
        .await
    }

    /// Hashes `password` (a PHC string).
    pub async fn hash(&self, source: &Source, password: &str) -> Result<String, HashError> {
        let password = password.to_owned();
        self.run(source, move || hash(&password))
            .await?
            .map_err(|e| HashError::Failed(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_made_by_the_argon2_crate_itself_verify() {
        use argon2::PasswordHasher;
        let phc = Argon2::default()
            .hash_password(b"correct horse")
            .expect("hash")
            .to_string();
        assert!(verify("correct horse", &phc));
        assert!(!verify("correct horsf", &phc));
        // Another variant and cost than the defaults.
        let params = Params::new(8, 1, 1, None).expect("params");
        let argon = Argon2::new(Algorithm::Argon2i, Version::V0x10, params);
        let phc = argon.hash_password(b"other").expect("hash").to_string();
        assert!(verify("other", &phc));
        assert!(!verify("Other", &phc));
    }

    #[test]
    fn working_memory_is_reused_not_reallocated() {
        let phc = hash("reuse me").expect("hash");
        let rss = || {
            std::fs::read_to_string("/proc/self/status")
                .ok()
                .and_then(|s| {
                    s.lines()
                        .find_map(|l| l.strip_prefix("VmRSS:"))
                        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
                })
                .unwrap_or(0)
        };
        verify("reuse me", &phc);
        let before = rss();
        for _ in 0..10 {
            assert!(verify("reuse me", &phc));
        }
        // Ten more verifications on this thread: well under one more 19 MiB block.
        assert!(
            rss().saturating_sub(before) < 10 * 1024,
            "{} kB",
            rss() - before
        );
    }

    #[test]
    fn hashes_are_argon2id_and_verify() {
        let phc = hash("correct horse").expect("hash");
        assert!(phc.starts_with("$argon2id$"), "{phc}");
        assert!(verify("correct horse", &phc));
        assert!(!verify("wrong horse", &phc));
        assert!(!verify("correct horse", "not a phc string"));
        assert_ne!(phc, hash("correct horse").expect("hash"), "salted");
    }

    fn from(plane: Plane, ip: &str) -> Source {
        Source::new(plane, Some(ip))
    }

    #[tokio::test]
    async fn the_pool_hashes_and_verifies() {
        let pool = HashPool::new(2, Duration::from_secs(5));
        let me = from(Plane::System, "127.0.0.1");
        let phc = pool.hash(&me, "pool password").await.expect("hash");
        assert!(
            pool.verify(&me, "pool password", Some(phc.clone()))
                .await
                .expect("verify")
        );
        assert!(!pool.verify(&me, "other", Some(phc)).await.expect("verify"));
        assert!(!pool.verify(&me, "other", None).await.expect("verify"));
        assert!(
            pool.sources.lock().expect("lock").is_empty(),
            "idle sources are forgotten"
        );
    }

    /// Takes a slot for `source` until `release` is sent to.
    fn hold(
        pool: &Arc<HashPool>,
        source: Source,
    ) -> (
        std::sync::mpsc::Sender<()>,
        tokio::task::JoinHandle<Result<bool, HashError>>,
    ) {
        let (release, held) = std::sync::mpsc::channel::<()>();
        let pool = Arc::clone(pool);
        let task =
            tokio::spawn(async move { pool.run(&source, move || held.recv().is_ok()).await });
        (release, task)
    }

    #[tokio::test]
    async fn planes_have_their_own_slots_and_one_address_holds_at_most_its_share() {
        // 4 threads: 2 per plane, 1 per address and plane.
        let pool = Arc::new(HashPool::new(4, Duration::from_millis(50)));
        assert_eq!(pool.per_source(), 1);
        let flood = from(Plane::Admin, "127.0.0.2");
        let (r1, t1) = hold(&pool, flood.clone());
        while pool.admin.available_permits() > 1 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        // The same address again: refused after the wait, though its plane has a free slot.
        let refused = pool.verify(&flood, "x", None).await;
        assert!(
            matches!(refused, Err(HashError::Busy { .. })),
            "{refused:?}"
        );
        // Another address on the customer plane takes the other slot...
        let (r2, t2) = hold(&pool, from(Plane::Admin, "127.0.0.3"));
        while pool.admin.available_permits() > 0 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        // ...and with the customer plane full, an operator still hashes at once.
        let started = std::time::Instant::now();
        assert!(
            !pool
                .verify(&from(Plane::System, "127.0.0.2"), "x", None)
                .await
                .expect("operator")
        );
        assert!(started.elapsed() < Duration::from_secs(1));
        for release in [r1, r2] {
            release.send(()).expect("release");
        }
        for task in [t1, t2] {
            assert!(task.await.expect("join").expect("ran"));
        }
        assert!(pool.sources.lock().expect("lock").is_empty());
        // IPv6 addresses of one /64 are one source.
        assert_eq!(
            Source::new(Plane::Admin, Some("2001:db8::1")),
            Source::new(Plane::Admin, Some("2001:db8::ffff"))
        );
    }

    #[tokio::test]
    async fn a_full_pool_refuses_after_the_wait_instead_of_queueing() {
        let pool = Arc::new(HashPool::new(1, Duration::from_millis(50)));
        let (release, busy) = hold(&pool, from(Plane::System, "127.0.0.1"));
        // Let the first job take the operator plane's only slot.
        while pool.system.available_permits() > 0 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let refused = pool
            .verify(&from(Plane::System, "127.0.0.2"), "x", None)
            .await;
        assert!(
            matches!(
                refused,
                Err(HashError::Busy {
                    retry_after_secs: 1
                })
            ),
            "{refused:?}"
        );
        release.send(()).expect("release");
        assert!(busy.await.expect("join").expect("ran"));
        assert!(
            !pool
                .verify(&from(Plane::System, "127.0.0.2"), "x", None)
                .await
                .expect("a slot is free again")
        );
    }
}
