//! Reading a Server-Sent Events stream in tests.

use std::time::Duration;

use serde_json::Value;

/// `(event name, data)` of every complete event in `text`.
pub fn events(text: &str) -> Vec<(String, Value)> {
    text.split("\n\n")
        .filter_map(|block| {
            let mut name = None;
            let mut data = None;
            for line in block.lines() {
                if let Some(n) = line.strip_prefix("event: ") {
                    name = Some(n.to_owned());
                } else if let Some(d) = line.strip_prefix("data: ") {
                    data = serde_json::from_str(d).ok();
                }
            }
            Some((name?, data?))
        })
        .collect()
}

/// Reads `res` until the server closes it or `within` passes; returns the text and whether it
/// closed.
pub async fn read_until_closed(res: &mut reqwest::Response, within: Duration) -> (String, bool) {
    let mut text = String::new();
    let closed = tokio::time::timeout(within, async {
        while let Ok(Some(chunk)) = res.chunk().await {
            text.push_str(&String::from_utf8_lossy(&chunk));
        }
    })
    .await
    .is_ok();
    (text, closed)
}

/// Reads `res` into `text` until an event satisfies `done` (each chunk within 10 s); every
/// event so far.
pub async fn events_until(
    res: &mut reqwest::Response,
    text: &mut String,
    done: impl Fn(&(String, Value)) -> bool,
) -> Vec<(String, Value)> {
    loop {
        let all = events(text);
        if all.iter().any(&done) {
            return all;
        }
        let chunk = tokio::time::timeout(Duration::from_secs(10), res.chunk())
            .await
            .expect("an event in time")
            .expect("chunk")
            .expect("stream open");
        text.push_str(&String::from_utf8_lossy(&chunk));
    }
}
