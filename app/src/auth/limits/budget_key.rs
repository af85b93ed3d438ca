//! Which budget a client address spends. An IPv4 client is its address; an
//! IPv6 client is its network prefix (a /64 by default,
//! `RATE_LIMIT_IPV6_PREFIX`): one subscriber usually holds a whole /64 and
//! can rotate through its 2^64 addresses at will, so per-address budgets
//! would be no budget at all. IPv4-mapped IPv6 addresses (`::ffff:a.b.c.d`)
//! count as the IPv4 address they carry.

use std::net::IpAddr;

use ipnet::Ipv6Net;

/// The prefix length used when the configuration does not say.
pub const DEFAULT_IPV6_PREFIX: u8 = 64;

/// The key of the per-IP budgets `ip` spends: the IPv4 address itself, or
/// the IPv6 address truncated to `ipv6_prefix` bits (clamped to 0..=128).
/// Shared by every per-IP limit (requests, emails, in-flight hashes), so
/// they all see one client the same way.
pub fn budget_key(ip: IpAddr, ipv6_prefix: u8) -> IpAddr {
    match ip.to_canonical() {
        IpAddr::V4(v4) => IpAddr::V4(v4),
        IpAddr::V6(v6) => {
            let net = Ipv6Net::new(v6, ipv6_prefix.min(128)).expect("prefix within 0..=128");
            IpAddr::V6(net.trunc().addr())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn ipv4_is_its_own_key() {
        assert_eq!(budget_key(ip("192.0.2.7"), 64), ip("192.0.2.7"));
    }

    #[test]
    fn ipv4_mapped_ipv6_is_the_ipv4_address() {
        assert_eq!(budget_key(ip("::ffff:192.0.2.7"), 64), ip("192.0.2.7"));
    }

    #[test]
    fn ipv6_addresses_of_one_prefix_share_a_key() {
        let a = budget_key(ip("2001:db8:1:2:aaaa::1"), 64);
        let b = budget_key(ip("2001:db8:1:2:ffff:1:2:3"), 64);
        assert_eq!(a, b);
        assert_eq!(a, ip("2001:db8:1:2::"));
        assert_ne!(a, budget_key(ip("2001:db8:1:3::1"), 64));
        // A /56 puts neighbouring /64s together; /128 keeps addresses apart.
        assert_eq!(
            budget_key(ip("2001:db8:1:2::1"), 56),
            budget_key(ip("2001:db8:1:3::1"), 56)
        );
        assert_ne!(
            budget_key(ip("2001:db8::1"), 128),
            budget_key(ip("2001:db8::2"), 128)
        );
    }
}
