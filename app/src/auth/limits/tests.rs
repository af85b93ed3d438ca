use std::{collections::HashMap, time::Duration};

use super::*;

fn config(extra: &[(&str, &str)]) -> Config {
    let mut vars: HashMap<String, String> = HashMap::from([
        (
            "JWT_SECRET_KEY".to_string(),
            "k".repeat(20) + "Zq8#kP2vLm4!xR7tQw9",
        ),
        (
            "DATABASE_ENCRYPTION_KEY".to_string(),
            "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef".to_string(),
        ),
    ]);
    for (name, value) in extra {
        vars.insert(name.to_string(), value.to_string());
    }
    Config::from_lookup(|name| vars.get(name).cloned()).unwrap()
}

fn ip(text: &str) -> IpAddr {
    text.parse().unwrap()
}

fn refused(result: Result<(), AuthError>) -> bool {
    matches!(result, Err(AuthError::RateLimited { retry_after }) if retry_after >= Duration::from_secs(1))
}

#[tokio::test]
async fn each_door_spends_its_own_per_ip_budget() {
    let limits = Limits::from_config(&config(&[
        ("RATE_LIMIT_PER_MINUTE", "2"),
        ("RATE_LIMIT_SIGNED_IN_IP_PER_MINUTE", "3"),
    ]));
    let client = ip("192.0.2.1");
    for _ in 0..2 {
        limits.admit_ip(Door::Public, client).await.unwrap();
    }
    assert!(refused(limits.admit_ip(Door::Public, client).await));
    // Signed-in and admin doors share one larger per-IP bucket.
    limits.admit_ip(Door::SignedIn, client).await.unwrap();
    limits.admit_ip(Door::Admin, client).await.unwrap();
    limits.admit_ip(Door::SignedIn, client).await.unwrap();
    assert!(refused(limits.admit_ip(Door::Admin, client).await));
}

#[tokio::test]
async fn an_ipv6_prefix_shares_one_budget() {
    let limits = Limits::from_config(&config(&[("RATE_LIMIT_PER_MINUTE", "3")]));
    for n in 1..=3 {
        let address = ip(&format!("2001:db8:5:6::{n:x}"));
        limits.admit_ip(Door::Public, address).await.unwrap();
    }
    assert!(refused(
        limits
            .admit_ip(Door::Public, ip("2001:db8:5:6:ffff::9"))
            .await
    ));
    // The neighbouring /64 is another client.
    limits
        .admit_ip(Door::Public, ip("2001:db8:5:7::1"))
        .await
        .unwrap();
}

#[tokio::test]
async fn sessions_and_admin_accounts_are_limited_whatever_their_address() {
    let limits = Limits::from_config(&config(&[
        ("RATE_LIMIT_SIGNED_IN_PER_MINUTE", "4"),
        ("RATE_LIMIT_ADMIN_PER_MINUTE", "2"),
    ]));
    let (ann, bob) = (Uuid::new_v4(), Uuid::new_v4());
    for _ in 0..4 {
        limits.admit_door(Door::SignedIn, ann).await.unwrap();
    }
    assert!(refused(limits.admit_door(Door::SignedIn, ann).await));
    limits.admit_door(Door::SignedIn, bob).await.unwrap();
    // Admin operations have a tighter budget of their own.
    limits.admit_door(Door::Admin, bob).await.unwrap();
    limits.admit_door(Door::Admin, bob).await.unwrap();
    assert!(refused(limits.admit_door(Door::Admin, bob).await));
    // Public doors know no account.
    limits.admit_door(Door::Public, ann).await.unwrap();
}

#[tokio::test]
async fn a_stranger_cannot_spend_the_owners_share_of_an_address() {
    let limits = Limits::from_config(&config(&[]));
    let (stranger, owner) = (ip("203.0.113.66"), ip("198.51.100.7"));
    let address = "reset:ann@example.com";
    for _ in 0..config(&[]).policies.mail.per_address_per_ip {
        limits.admit_mail(stranger, address).await.unwrap();
    }
    assert!(refused(limits.admit_mail(stranger, address).await));
    limits.admit_mail(owner, address).await.unwrap();
}

#[tokio::test]
async fn an_address_has_an_overall_cap_across_many_ips() {
    let limits = Limits::from_config(&config(&[]));
    let address = "reset:ann@example.com";
    let mut sent = 0;
    for n in 0..50u8 {
        if limits
            .admit_mail(ip(&format!("198.51.100.{n}")), address)
            .await
            .is_ok()
        {
            sent += 1;
        }
    }
    assert_eq!(sent, config(&[]).policies.mail.per_address);
}

#[test]
fn the_ipv6_prefix_is_validated() {
    let vars = |prefix: &str| {
        let prefix = prefix.to_string();
        move |name: &str| match name {
            "RATE_LIMIT_IPV6_PREFIX" => Some(prefix.clone()),
            "JWT_SECRET_KEY" => Some("k".repeat(20) + "Zq8#kP2vLm4!xR7tQw9"),
            "DATABASE_ENCRYPTION_KEY" => Some("0123456789abcdef".repeat(4)),
            _ => None,
        }
    };
    for bad in ["31", "129", "sixty-four"] {
        let error = Config::from_lookup(vars(bad)).unwrap_err();
        assert_eq!(error.variable, "RATE_LIMIT_IPV6_PREFIX");
    }
    assert_eq!(
        Config::from_lookup(vars("56"))
            .unwrap()
            .rate_limit_ipv6_prefix,
        56
    );
    assert_eq!(config(&[]).rate_limit_ipv6_prefix, 64);
}
