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
