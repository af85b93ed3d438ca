//! When a signing key signs, and how long it is trusted, decided by time
//! alone: every node reads the same `sign_from`s and compares them with its
//! clock, so all switch keys at the same moment without talking to each
//! other.
//!
//! Keys of one algorithm form a line of generations. A key signs from its
//! `sign_from` until its successor's (`retired_at`); it is published and
//! verifies before that (`next`: published ahead so every cached JWK Set
//! holds it before the first token it signs) and after (`retired`: until
//! the last token it signed has expired, `retired_at` + the grace period of
//! one access-token lifetime plus the clock leeway). Then it is `expired`:
//! neither published nor accepted.

use chrono::{DateTime, Duration, Utc};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyState {
    /// Published, signs nothing yet.
    Next,
    /// Signs new tokens.
    Active,
    /// Signs no more; verifies the tokens it signed until they expire.
    Retired,
    /// Every token it signed has expired: neither published nor accepted.
    Expired,
}

impl KeyState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Next => "next",
            Self::Active => "active",
            Self::Retired => "retired",
            Self::Expired => "expired",
        }
    }

    /// The value of the `state` column (an expired key stays `retired`
    /// there: it is a fact of time, not a step anyone takes).
    pub(super) fn stored(self) -> &'static str {
        match self {
            Self::Expired => Self::Retired.as_str(),
            other => other.as_str(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Schedule {
    /// When it starts signing.
    pub sign_from: DateTime<Utc>,
    /// When its successor starts signing, if there is one.
    pub retired_at: Option<DateTime<Utc>>,
}

impl Schedule {
    /// The schedules of keys whose `sign_from`s are given newest generation
    /// first: each key retires when the one after it starts signing.
    pub fn of_generations(sign_froms: &[DateTime<Utc>]) -> Vec<Self> {
        sign_froms
            .iter()
            .enumerate()
            .map(|(at, &sign_from)| Self {
                sign_from,
                retired_at: at.checked_sub(1).map(|newer| sign_froms[newer]),
            })
            .collect()
    }

    pub fn state(&self, now: DateTime<Utc>, grace: Duration) -> KeyState {
        if now < self.sign_from {
            return KeyState::Next;
        }
        match self.retired_at {
            Some(retired_at) if now >= retired_at + grace => KeyState::Expired,
            Some(retired_at) if now >= retired_at => KeyState::Retired,
            _ => KeyState::Active,
        }
    }

    /// When it leaves the JWK Set and its tokens stop verifying.
    pub fn unpublished_at(&self, grace: Duration) -> Option<DateTime<Utc>> {
        self.retired_at.map(|retired_at| retired_at + grace)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_is_next_then_active_then_retired_then_expired() {
        let start = Utc::now();
        let minutes = Duration::minutes;
        let grace = minutes(15);
        // Newest first: the successor signs from start + 10 minutes.
        let [successor, old] =
            Schedule::of_generations(&[start + minutes(10), start - minutes(60)])
                .try_into()
                .unwrap();
        assert_eq!(successor.retired_at, None);
        assert_eq!(old.retired_at, Some(start + minutes(10)));

        let at = |offset| {
            (
                successor.state(start + minutes(offset), grace),
                old.state(start + minutes(offset), grace),
            )
        };
        assert_eq!(at(0), (KeyState::Next, KeyState::Active));
        assert_eq!(at(10), (KeyState::Active, KeyState::Retired));
        assert_eq!(at(24), (KeyState::Active, KeyState::Retired));
        assert_eq!(at(25), (KeyState::Active, KeyState::Expired));
        assert_eq!(old.unpublished_at(grace), Some(start + minutes(25)));
        assert_eq!(KeyState::Expired.stored(), "retired");
    }
}
