//! What `server admin keys list` and `keys rotate` print.

use app::{
    auth::{
        clock::rfc3339,
        signing_keys::{KeyListing, Rotation},
    },
    config::Config,
};

/// One line per key, newest first: kid, algorithm, state, when it was
/// created, when it signs (or signed) and until when it is published.
pub fn listing(config: &Config, keys: &[KeyListing]) -> String {
    if !config.jwt_algorithm.is_asymmetric() {
        return "JWT_ALGORITHM=HS256: tokens are signed with JWT_SECRET_KEY; no keys are stored"
            .into();
    }
    let mut lines = vec![format!(
        "{:<44} {:<9} {:<8} {:<20} {:<20} {:<20} {}",
        "KID", "ALGORITHM", "STATE", "CREATED", "SIGNS FROM", "SIGNS UNTIL", "PUBLISHED UNTIL"
    )];
    for key in keys {
        let until = |time: Option<_>| time.map_or_else(|| "-".to_string(), rfc3339);
        lines.push(format!(
            "{:<44} {:<9} {:<8} {:<20} {:<20} {:<20} {}",
            key.kid,
            key.algorithm,
            key.state.as_str(),
            rfc3339(key.created_at),
            rfc3339(key.schedule.sign_from),
            until(key.schedule.retired_at),
            until(key.unpublished_at),
        ));
    }
    lines.join("\n")
}

pub fn rotated(config: &Config, rotation: &Rotation) -> String {
    let delay = config.policies.key_publication_delay.num_seconds();
    match rotation {
        Rotation::Scheduled { kid, sign_from } => format!(
            "published {kid}; it signs from {} ({delay} s from now), and the key it replaces \
             stays published until the tokens it signed have expired",
            rfc3339(*sign_from)
        ),
        Rotation::AlreadyPending { kid, sign_from } => format!(
            "a rotation is already pending: {kid} signs from {}; nothing changed",
            rfc3339(*sign_from)
        ),
    }
}
