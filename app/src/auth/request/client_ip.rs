//! The client's IP: the socket peer, unless the peer is a trusted proxy, in
//! which case the right-most `X-Forwarded-For` entry that is not itself a
//! trusted proxy. Entries further left are client-controlled and ignored.
//!
//! - Every `X-Forwarded-For` header line counts, in order, each a comma
//!   list (HTTP treats repeated lines as one comma-joined list; a proxy may
//!   append its own line after the client's).
//! - Addresses are compared in canonical form: an IPv4-mapped IPv6 peer or
//!   entry (`::ffff:10.0.0.1`, what a dual-stack socket reports) is the IPv4
//!   address, so it matches IPv4 `TRUSTED_PROXIES`.
//! - Entries may carry a port (`192.0.2.1:4711`, `[2001:db8::1]:443`).
//! - An entry that is not an address (`unknown`, garbage) ends the walk:
//!   nothing left of it can be trusted, so the last trusted hop is the client.
//! - `Forwarded` (RFC 7239) is deliberately ignored: the proxies we trust
//!   are configured to set `X-Forwarded-For`, and believing a second header
//!   that such a proxy passes through untouched would let clients choose
//!   their address.

use std::net::{IpAddr, SocketAddr};

use ipnet::IpNet;

/// The client address of a request that reached us from `peer` with these
/// `X-Forwarded-For` header lines (in the order received).
pub fn client_ip<'a>(
    peer: IpAddr,
    forwarded_for: impl IntoIterator<Item = &'a str>,
    trusted: &[IpNet],
) -> IpAddr {
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    let peer = peer.to_canonical();
    if !is_trusted(&peer) {
        return peer;
    }
    let lines: Vec<&str> = forwarded_for.into_iter().collect();
    let mut last_trusted = peer;
    for entry in lines.iter().rev().flat_map(|line| line.rsplit(',')) {
        match parse_entry(entry) {
            Some(ip) if is_trusted(&ip) => last_trusted = ip,
            Some(ip) => return ip,
            None => return last_trusted,
        }
    }
    last_trusted
}

/// One `X-Forwarded-For` entry: an address, optionally with a port.
fn parse_entry(entry: &str) -> Option<IpAddr> {
    let entry = entry.trim();
    entry
        .parse::<IpAddr>()
        .or_else(|_| entry.parse::<SocketAddr>().map(|socket| socket.ip()))
        .ok()
        .map(|ip| ip.to_canonical())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    fn nets(list: &[&str]) -> Vec<IpNet> {
        list.iter().map(|net| net.parse().unwrap()).collect()
    }

    #[test]
    fn untrusted_peer_is_the_client_whatever_the_header_says() {
        let trusted = nets(&["10.0.0.0/8"]);
        assert_eq!(
            client_ip(ip("203.0.113.9"), ["1.2.3.4"], &trusted),
            ip("203.0.113.9")
        );
        assert_eq!(
            client_ip(ip("203.0.113.9"), ["1.2.3.4", "5.6.7.8"], &trusted),
            ip("203.0.113.9")
        );
    }

    #[test]
    fn trusted_proxy_forwards_the_right_most_untrusted_address() {
        let trusted = nets(&["10.0.0.0/8"]);
        let header = "6.6.6.6, 198.51.100.7, 10.0.0.2";
        assert_eq!(
            client_ip(ip("10.0.0.1"), [header], &trusted),
            ip("198.51.100.7")
        );
    }

    #[test]
    fn every_header_line_is_read_in_order() {
        let trusted = nets(&["10.0.0.0/8"]);
        // The client sent a line of its own; the proxy appended its line.
        let lines = ["6.6.6.6", "198.51.100.7, 10.0.0.2"];
        assert_eq!(
            client_ip(ip("10.0.0.1"), lines, &trusted),
            ip("198.51.100.7")
        );
        // The proxy's entry is on the last line: the spoofed first line
        // never wins.
        let lines = ["6.6.6.6, 7.7.7.7", "198.51.100.8"];
        assert_eq!(
            client_ip(ip("10.0.0.1"), lines, &trusted),
            ip("198.51.100.8")
        );
        // Trusted hops span lines.
        let lines = ["198.51.100.9", "10.0.0.3", "10.0.0.2"];
        assert_eq!(
            client_ip(ip("10.0.0.1"), lines, &trusted),
            ip("198.51.100.9")
        );
    }

    #[test]
    fn ipv4_mapped_ipv6_matches_ipv4_trusted_proxies() {
        let trusted = nets(&["10.0.0.0/8"]);
        assert_eq!(
            client_ip(ip("::ffff:10.0.0.1"), ["198.51.100.7"], &trusted),
            ip("198.51.100.7")
        );
        // Mapped entries are trusted hops too, and a mapped client is
        // reported as the IPv4 address.
        assert_eq!(
            client_ip(
                ip("10.0.0.1"),
                ["::ffff:198.51.100.7, ::ffff:10.0.0.2"],
                &trusted
            ),
            ip("198.51.100.7")
        );
        // An untrusted mapped peer is its IPv4 address.
        assert_eq!(
            client_ip(ip("::ffff:203.0.113.9"), ["1.2.3.4"], &trusted),
            ip("203.0.113.9")
        );
    }

    #[test]
    fn entries_with_ports_and_ipv6_are_understood() {
        let trusted = nets(&["10.0.0.0/8", "2001:db8:ffff::/48"]);
        assert_eq!(
            client_ip(ip("10.0.0.1"), ["198.51.100.7:4711"], &trusted),
            ip("198.51.100.7")
        );
        assert_eq!(
            client_ip(
                ip("2001:db8:ffff::1"),
                ["[2001:db8:1::5]:443, 2001:db8:ffff::2"],
                &trusted
            ),
            ip("2001:db8:1::5")
        );
    }

    #[test]
    fn trusted_proxy_without_header_is_the_client() {
        let trusted = nets(&["127.0.0.1/32"]);
        assert_eq!(
            client_ip(ip("127.0.0.1"), std::iter::empty(), &trusted),
            ip("127.0.0.1")
        );
        assert_eq!(
            client_ip(ip("127.0.0.1"), ["garbage"], &trusted),
            ip("127.0.0.1")
        );
        // Garbage ends the walk: nothing left of it is believed.
        assert_eq!(
            client_ip(ip("127.0.0.1"), ["6.6.6.6, unknown, 127.0.0.1"], &trusted),
            ip("127.0.0.1")
        );
    }
}
