//! The client's IP address: the peer, unless the peer is a trusted proxy, in which case the
//! right-most `X-Forwarded-For` entry that is not itself a trusted proxy. Entries left of that
//! one were written by the client and prove nothing.

use std::net::{IpAddr, SocketAddr};

use actix_web::HttpRequest;
use actix_web::dev::ServiceRequest;
use actix_web::http::header::HeaderMap;

/// Resolves the client IP from the peer address, the `X-Forwarded-For` values (in header
/// order) and the trusted proxies.
pub fn resolve(peer: Option<IpAddr>, forwarded_for: &[&str], trusted: &[IpAddr]) -> Option<IpAddr> {
    let mut client = peer.map(|ip| ip.to_canonical())?;
    if !trusted.contains(&client) {
        return Some(client);
    }
    let entries = forwarded_for
        .iter()
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>();
    for entry in entries.into_iter().rev() {
        let Some(ip) = parse_entry(entry) else {
            // A hop we cannot read: stop at the last address a trusted proxy vouched for.
            break;
        };
        client = ip;
        if !trusted.contains(&ip) {
            break;
        }
    }
    Some(client)
}

fn parse_entry(entry: &str) -> Option<IpAddr> {
    entry
        .parse::<IpAddr>()
        .or_else(|_| entry.parse::<SocketAddr>().map(|s| s.ip()))
        .ok()
        .map(|ip| ip.to_canonical())
}

fn forwarded(headers: &HeaderMap) -> Vec<&str> {
    headers
        .get_all("x-forwarded-for")
        .filter_map(|v| v.to_str().ok())
        .collect()
}

/// The client IP of an actix request.
pub fn of_request(req: &HttpRequest, trusted: &[IpAddr]) -> Option<IpAddr> {
    resolve(
        req.peer_addr().map(|a| a.ip()),
        &forwarded(req.headers()),
        trusted,
    )
}

/// The client IP of a request seen by a middleware.
pub fn of_service_request(req: &ServiceRequest, trusted: &[IpAddr]) -> Option<IpAddr> {
    resolve(
        req.peer_addr().map(|a| a.ip()),
        &forwarded(req.headers()),
        trusted,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("ip")
    }

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_forwards() {
        assert_eq!(
            resolve(Some(ip("203.0.113.9")), &["1.2.3.4"], &[]),
            Some(ip("203.0.113.9"))
        );
        assert_eq!(
            resolve(Some(ip("203.0.113.9")), &["1.2.3.4"], &[ip("10.0.0.1")]),
            Some(ip("203.0.113.9"))
        );
    }

    #[test]
    fn a_trusted_peer_yields_the_right_most_untrusted_entry() {
        let trusted = [ip("10.0.0.1"), ip("10.0.0.2")];
        assert_eq!(
            resolve(
                Some(ip("10.0.0.1")),
                &["6.6.6.6, 198.51.100.7, 10.0.0.2"],
                &trusted
            ),
            Some(ip("198.51.100.7"))
        );
        // Several headers are one list, in order.
        assert_eq!(
            resolve(Some(ip("10.0.0.1")), &["6.6.6.6", "198.51.100.7"], &trusted),
            Some(ip("198.51.100.7"))
        );
    }

    #[test]
    fn a_trusted_peer_without_forwarding_is_itself() {
        assert_eq!(
            resolve(Some(ip("10.0.0.1")), &[], &[ip("10.0.0.1")]),
            Some(ip("10.0.0.1"))
        );
        assert_eq!(
            resolve(Some(ip("10.0.0.1")), &["10.0.0.1"], &[ip("10.0.0.1")]),
            Some(ip("10.0.0.1"))
        );
    }

    #[test]
    fn garbage_stops_the_walk_and_ports_and_mapped_addresses_are_understood() {
        let trusted = [ip("10.0.0.1")];
        assert_eq!(
            resolve(Some(ip("10.0.0.1")), &["1.1.1.1, not-an-ip"], &trusted),
            Some(ip("10.0.0.1"))
        );
        assert_eq!(
            resolve(Some(ip("10.0.0.1")), &["198.51.100.7:4711"], &trusted),
            Some(ip("198.51.100.7"))
        );
        assert_eq!(
            resolve(Some(ip("::ffff:10.0.0.1")), &["2001:db8::1"], &trusted),
            Some(ip("2001:db8::1"))
        );
        assert_eq!(resolve(None, &["1.1.1.1"], &trusted), None);
    }
}
