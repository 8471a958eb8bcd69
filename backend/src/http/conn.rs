//! Where connections are accepted: admission caps and a header deadline on every request.
//!
//! actix-web's `HttpServer` can neither refuse a connection by its peer nor time out the
//! headers of any request but a connection's first (its `client_request_timeout` covers the
//! first request only; after one complete request, a client trickling the next request's
//! headers a byte at a time held its connection for minutes). So the server is assembled from
//! actix's parts ([`super::Application`]) with this module at the accept step:
//!
//! - [`Admission`] counts open connections per client IP (an IPv6 /64, as the flood limiter
//!   groups them) and overall; beyond `MAX_CONNECTIONS_PER_IP` or `MAX_CONNECTIONS` a new
//!   connection is closed at once, never queued. The peer is the TCP peer: a trusted proxy
//!   (`TRUSTED_PROXIES`) carries many clients, so it counts against the overall cap only.
//! - [`Guarded`] wraps each admitted stream: it releases the connection's slot when the
//!   connection ends, and gives every request's headers `HEADER_TIMEOUT_MS` from their first
//!   byte to their blank line, closing the connection otherwise. Idle time between requests is
//!   actix's keep-alive timer (`KEEP_ALIVE_SECONDS`).

use std::collections::HashMap;
use std::future::Future;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::Sleep;

use crate::config::Settings;

/// Descriptors the process keeps for itself beyond client connections (database pool, log
/// files, listeners), when the overall cap is fitted to the open-file limit.
const RESERVED_DESCRIPTORS: usize = 128;

/// Open-connection counts, shared by every server worker.
#[derive(Debug)]
pub struct Admission {
    per_ip: usize,
    total: usize,
    trusted: Vec<IpAddr>,
    open: Mutex<Open>,
}

#[derive(Debug, Default)]
struct Open {
    total: usize,
    by_ip: HashMap<IpAddr, usize>,
}

/// The key a peer is counted under: its address, an IPv6 one as its /64.
fn key_of(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => {
            let mut octets = v6.octets();
            octets[8..].fill(0);
            IpAddr::from(octets)
        }
        v4 => v4,
    }
}

/// The soft limit on open files from `/proc/self/limits` (Linux), if it can be read.
fn open_file_limit() -> Option<usize> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    line.trim_start_matches("Max open files")
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

impl Admission {
    /// Caps from `settings`; the overall one lowered to fit the open-file limit, so that
    /// refusing a connection never starts with running out of descriptors.
    pub fn new(settings: &Settings) -> Self {
        let mut total = settings.max_connections;
        if let Some(files) = open_file_limit() {
            let fits = files.saturating_sub(RESERVED_DESCRIPTORS).max(1);
            if fits < total {
                tracing::warn!(
                    max_connections = total,
                    open_file_limit = files,
                    "MAX_CONNECTIONS lowered to {fits} to fit the open-file limit"
                );
                total = fits;
            }
        }
        Self::with_caps(
            settings.max_connections_per_ip,
            total,
            settings.trusted_proxies.clone(),
        )
    }

    /// Explicit caps (tests).
    pub fn with_caps(per_ip: usize, total: usize, trusted: Vec<IpAddr>) -> Self {
        Self {
            per_ip: per_ip.max(1),
            total: total.max(1),
            trusted,
            open: Mutex::new(Open::default()),
        }
    }

    /// A slot for a connection from `peer`, or `None` when a cap is reached.
    pub fn admit(self: &Arc<Self>, peer: Option<SocketAddr>) -> Option<Slot> {
        let key = peer
            .map(|p| p.ip())
            .filter(|ip| !self.trusted.contains(ip))
            .map(key_of);
        let mut open = self.open.lock().ok()?;
        if open.total >= self.total {
            return None;
        }
        if let Some(key) = key {
            let held = open.by_ip.entry(key).or_insert(0);
            if *held >= self.per_ip {
                return None;
            }
            *held += 1;
        }
        open.total += 1;
        Some(Slot {
            admission: Arc::clone(self),
            key,
        })
    }

    /// Connections open now (overall, and from `ip`).
    pub fn open(&self, ip: IpAddr) -> (usize, usize) {
        self.open.lock().map_or((0, 0), |open| {
            (
                open.total,
                open.by_ip.get(&key_of(ip)).copied().unwrap_or(0),
            )
        })
    }
}

/// One admitted connection; dropping it frees the slot.
#[derive(Debug)]
pub struct Slot {
    admission: Arc<Admission>,
    key: Option<IpAddr>,
}

impl Drop for Slot {
    fn drop(&mut self) {
        if let Ok(mut open) = self.admission.open.lock() {
            open.total = open.total.saturating_sub(1);
            if let Some(key) = self.key
                && let Some(held) = open.by_ip.get_mut(&key)
            {
                *held = held.saturating_sub(1);
                if *held == 0 {
                    open.by_ip.remove(&key);
                }
            }
        }
    }
}

/// Where a connection is in its current request, as far as its bytes tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Reading a request's headers (or waiting for the next request).
    Head,
    /// The headers ended; a body and the response follow.
    Rest,
}

/// Tracks the end of each request's headers in the bytes read, and the deadline for it.
#[derive(Debug)]
struct HeadDeadline {
    timeout: Duration,
    phase: Phase,
    /// The last byte of the head so far ended a line (an empty line ends the headers).
    after_newline: bool,
    /// Runs from the first byte of a request's head until its end.
    deadline: Option<Pin<Box<Sleep>>>,
}

impl HeadDeadline {
    fn new(timeout: Duration) -> Self {
        Self {
            timeout,
            phase: Phase::Head,
            after_newline: false,
            deadline: None,
        }
    }

    /// Bytes arrived from the client.
    fn read(&mut self, bytes: &[u8]) {
        if self.phase != Phase::Head || bytes.is_empty() {
            return;
        }
        if self.deadline.is_none() {
            self.deadline = Some(Box::pin(tokio::time::sleep(self.timeout)));
        }
        for byte in bytes {
            match byte {
                // HTTP/1 parsers accept bare LF line ends too: "\n\n" and "\n\r\n" both end a head.
                b'\n' if self.after_newline => {
                    self.phase = Phase::Rest;
                    self.after_newline = false;
                    self.deadline = None;
                    return;
                }
                b'\n' => self.after_newline = true,
                b'\r' => {}
                _ => self.after_newline = false,
            }
        }
    }

    /// The server answered: the next bytes from the client start a new request. An interim
    /// `100 Continue` is not an answer (the body follows it).
    fn wrote(&mut self, bytes: &[u8]) {
        if self.phase == Phase::Rest && !bytes.is_empty() && !bytes.starts_with(b"HTTP/1.1 100 ") {
            self.phase = Phase::Head;
            self.after_newline = false;
            self.deadline = None;
        }
    }

    /// Whether the current head missed its deadline (registers the waker otherwise).
    fn expired(&mut self, cx: &mut Context<'_>) -> bool {
        self.deadline
            .as_mut()
            .is_some_and(|sleep| sleep.as_mut().poll(cx).is_ready())
    }
}

/// An admitted connection's stream: holds its [`Slot`] and enforces the header deadline.
#[derive(Debug)]
pub struct Guarded<IO> {
    io: IO,
    head: HeadDeadline,
    _slot: Slot,
}

impl<IO> Guarded<IO> {
    /// Wraps `io`, admitted with `slot`; each request's headers get `header_timeout`.
    pub fn new(io: IO, slot: Slot, header_timeout: Duration) -> Self {
        Self {
            io,
            head: HeadDeadline::new(header_timeout),
            _slot: slot,
        }
    }
}

impl<IO: AsyncRead + Unpin> AsyncRead for Guarded<IO> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if this.head.expired(cx) {
            return Poll::Ready(Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "the request headers were not received in time",
            )));
        }
        let before = buf.filled().len();
        let polled = Pin::new(&mut this.io).poll_read(cx, buf);
        if let Poll::Ready(Ok(())) = polled {
            this.head.read(&buf.filled()[before..]);
            // A deadline started by these bytes must be polled once to wake this task.
            if this.head.expired(cx) {
                return Poll::Ready(Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    "the request headers were not received in time",
                )));
            }
        }
        polled
    }
}

impl<IO: AsyncWrite + Unpin> AsyncWrite for Guarded<IO> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.io).poll_write(cx, buf);
        if let Poll::Ready(Ok(n)) = polled {
            this.head.wrote(&buf[..n.min(buf.len())]);
        }
        polled
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.io).poll_write_vectored(cx, bufs);
        if let Poll::Ready(Ok(n)) = polled
            && n > 0
        {
            let first = bufs.iter().find(|b| !b.is_empty()).map_or(&[][..], |b| b);
            this.head.wrote(first);
        }
        polled
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn peer(ip: &str) -> Option<SocketAddr> {
        Some(SocketAddr::new(ip.parse().expect("ip"), 40_000))
    }

    #[test]
    fn caps_per_ip_and_overall_and_frees_slots_on_drop() {
        let admission = Arc::new(Admission::with_caps(
            2,
            3,
            vec!["127.0.0.9".parse().expect("ip")],
        ));
        let a1 = admission.admit(peer("127.0.0.1")).expect("first");
        let a2 = admission.admit(peer("127.0.0.1")).expect("second");
        assert!(admission.admit(peer("127.0.0.1")).is_none(), "per-IP cap");
        let b1 = admission.admit(peer("127.0.0.2")).expect("another address");
        assert!(admission.admit(peer("127.0.0.3")).is_none(), "overall cap");
        drop(a1);
        let _a3 = admission.admit(peer("127.0.0.1")).expect("a freed slot");
        drop((a2, b1));
        // A trusted proxy counts overall only.
        let _p = (0..2)
            .map(|_| admission.admit(peer("127.0.0.9")).expect("proxy"))
            .collect::<Vec<_>>();
        assert_eq!(admission.open("127.0.0.9".parse().expect("ip")), (3, 0));
        // One IPv6 /64 is one client.
        let admission = Arc::new(Admission::with_caps(1, 10, vec![]));
        let _v6 = admission.admit(Some("[2001:db8::1]:1".parse().expect("v6")));
        assert!(
            admission
                .admit(Some("[2001:db8::2]:1".parse().expect("v6")))
                .is_none()
        );
        assert!(
            admission
                .admit(Some("[2001:db8:0:1::2]:1".parse().expect("v6")))
                .is_some()
        );
    }

    #[tokio::test]
    async fn every_request_head_has_a_deadline_from_its_first_byte() {
        let mut head = HeadDeadline::new(Duration::from_millis(10));
        head.read(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n");
        assert_eq!(head.phase, Phase::Rest);
        assert!(head.deadline.is_none());
        head.wrote(b"HTTP/1.1 100 Continue\r\n\r\n");
        assert_eq!(
            head.phase,
            Phase::Rest,
            "an interim answer is not the answer"
        );
        head.wrote(b"HTTP/1.1 200 OK\r\n");
        assert_eq!(head.phase, Phase::Head);
        assert!(head.deadline.is_none(), "idle keep-alive is actix's timer");
        head.read(b"GET / HT");
        assert!(
            head.deadline.is_some(),
            "the second request's head is timed"
        );
        head.read(b"TP/1.1\nHost: x\n");
        assert_eq!(head.phase, Phase::Head);
        tokio::time::sleep(Duration::from_millis(20)).await;
        let waker = futures_util::task::noop_waker();
        assert!(head.expired(&mut Context::from_waker(&waker)));
        head.read(b"\n");
        assert_eq!(head.phase, Phase::Rest, "bare LF line ends end a head too");
    }
}
