//! The client's IP: the socket peer, unless the peer is a trusted proxy, in
//! which case the right-most `X-Forwarded-For` entry that is not itself a
//! trusted proxy. Entries further left are client-controlled and ignored.

use std::net::IpAddr;

use ipnet::IpNet;

pub fn client_ip(peer: IpAddr, forwarded_for: Option<&str>, trusted: &[IpNet]) -> IpAddr {
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    if !is_trusted(&peer) {
        return peer;
    }
    let Some(header) = forwarded_for else {
        return peer;
    };
    let mut last_trusted = peer;
    for entry in header.rsplit(',') {
        match entry.trim().parse::<IpAddr>() {
            Ok(ip) if is_trusted(&ip) => last_trusted = ip,
            Ok(ip) => return ip,
            Err(_) => return last_trusted,
        }
    }
    last_trusted
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn untrusted_peer_is_the_client_whatever_the_header_says() {
        let trusted = vec!["10.0.0.0/8".parse().unwrap()];
        assert_eq!(
            client_ip(ip("203.0.113.9"), Some("1.2.3.4"), &trusted),
            ip("203.0.113.9")
        );
    }

    #[test]
    fn trusted_proxy_forwards_the_right_most_untrusted_address() {
        let trusted = vec!["10.0.0.0/8".parse().unwrap()];
        let header = "6.6.6.6, 198.51.100.7, 10.0.0.2";
        assert_eq!(
            client_ip(ip("10.0.0.1"), Some(header), &trusted),
            ip("198.51.100.7")
        );
    }

    #[test]
    fn trusted_proxy_without_header_is_the_client() {
        let trusted = vec!["127.0.0.1/32".parse().unwrap()];
        assert_eq!(client_ip(ip("127.0.0.1"), None, &trusted), ip("127.0.0.1"));
        assert_eq!(
            client_ip(ip("127.0.0.1"), Some("garbage"), &trusted),
            ip("127.0.0.1")
        );
    }
}
