//! Ids that cross the service boundary, typed so that a session's id can
//! never be passed where an account's is meant. On the wire and in the
//! database they are plain UUIDs.

use std::{fmt, str::FromStr};

use uuid::Uuid;

macro_rules! uuid_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        #[serde(transparent)]
        pub struct $name(Uuid);

        impl $name {
            pub fn as_uuid(self) -> Uuid {
                self.0
            }
        }

        impl From<Uuid> for $name {
            fn from(id: Uuid) -> Self {
                Self(id)
            }
        }

        impl From<$name> for Uuid {
            fn from(id: $name) -> Self {
                id.0
            }
        }

        /// So that an id fills an optional one (`AuditEvent::user`).
        impl From<$name> for Option<Uuid> {
            fn from(id: $name) -> Self {
                Some(id.0)
            }
        }

        /// So that `Column::Id.eq(id)` takes the typed id directly.
        impl From<$name> for sea_orm::Value {
            fn from(id: $name) -> Self {
                id.0.into()
            }
        }

        impl FromStr for $name {
            type Err = uuid::Error;

            fn from_str(text: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(text).map(Self)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self.0)
            }
        }
    };
}

uuid_id!(
    /// An account (`users.id`).
    UserId
);
uuid_id!(
    /// A device session (`sessions.id`), named by its tokens and by the
    /// browser's cookie session.
    SessionId
);
uuid_id!(
    /// A personal API token (`api_tokens.id`).
    ApiTokenId
);
uuid_id!(
    /// A resource server allowed to introspect tokens (`resource_servers.id`,
    /// also its client id).
    ResourceServerId
);
