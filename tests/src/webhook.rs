//! A local alert webhook that records the JSON bodies POSTed to it and can be switched, while a
//! test runs, between answering, failing and hanging.

use std::sync::Arc;
use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::Mutex;

/// How the webhook answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Mode {
    /// 204, and the body is recorded.
    Up = 0,
    /// 503, nothing recorded (the receiving side is down).
    Down = 1,
    /// Reads the request and never answers (a hung receiver).
    Hang = 2,
}

/// A running webhook.
#[derive(Clone)]
pub struct Webhook {
    /// `http://127.0.0.1:PORT/alerts`.
    pub url: String,
    /// Bodies received while [`Mode::Up`].
    pub received: Arc<Mutex<Vec<serde_json::Value>>>,
    /// Requests that arrived, in any mode.
    pub requests: Arc<AtomicUsize>,
    mode: Arc<AtomicU8>,
}

impl Webhook {
    /// Switches how later requests are answered.
    pub fn set_mode(&self, mode: Mode) {
        self.mode.store(mode as u8, Ordering::SeqCst);
    }

    /// The bodies received so far.
    pub async fn bodies(&self) -> Vec<serde_json::Value> {
        self.received.lock().await.clone()
    }
}

/// Starts a webhook in [`Mode::Up`].
pub async fn start() -> Webhook {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind the webhook");
    let hook = Webhook {
        url: format!(
            "http://{}/alerts",
            listener.local_addr().expect("webhook address")
        ),
        received: Arc::default(),
        requests: Arc::default(),
        mode: Arc::new(AtomicU8::new(Mode::Up as u8)),
    };
    let state = hook.clone();
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            tokio::spawn(serve(socket, state.clone()));
        }
    });
    hook
}

async fn serve(mut socket: tokio::net::TcpStream, hook: Webhook) {
    let Some(body) = read_request(&mut socket).await else {
        return;
    };
    hook.requests.fetch_add(1, Ordering::SeqCst);
    let answer: &[u8] = match hook.mode.load(Ordering::SeqCst) {
        0 => {
            if let Ok(json) = serde_json::from_slice(&body) {
                hook.received.lock().await.push(json);
            }
            b"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        }
        1 => b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
        _ => {
            // Hold the connection open without answering until the client gives up.
            let mut sink = [0u8; 64];
            while matches!(socket.read(&mut sink).await, Ok(n) if n > 0) {}
            return;
        }
    };
    let _ = socket.write_all(answer).await;
}

/// Reads one HTTP/1.1 request; returns its body.
async fn read_request(socket: &mut tokio::net::TcpStream) -> Option<Vec<u8>> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let n = socket.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
        let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") else {
            continue;
        };
        let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
        let len = head
            .lines()
            .find_map(|l| l.strip_prefix("content-length:"))
            .and_then(|v| v.trim().parse::<usize>().ok())
            .unwrap_or(0);
        let body = &buf[end + 4..];
        if body.len() >= len {
            return Some(body[..len].to_vec());
        }
    }
}
