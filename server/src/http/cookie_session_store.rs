//! Browser sessions: tower-sessions with its records in the database (table
//! `tower_sessions`), so they survive restarts and are shared by every node.
//! The cookie is HttpOnly, SameSite=Lax, and in production Secure with the
//! `__Host-` prefix (no Domain, Path=/). A record only names the `sessions`
//! row of the signed-in device; everything else is read from that row.

use app::entities::cookie_sessions as records;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sea_orm::{
    sea_query::OnConflict, ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait,
    QueryFilter,
};
use tower_sessions::{
    cookie::SameSite,
    session::{Id, Record},
    session_store::{self, SessionStore},
    Expiry, SessionManagerLayer,
};

/// Idle timeout of a browser session (ASVS 3.3.2); every request with the
/// session pushes it back. The `sessions` row's own expiry is the absolute
/// limit.
pub const IDLE_MINUTES: i64 = 30;

pub fn layer(db: DatabaseConnection, production: bool) -> SessionManagerLayer<DatabaseStore> {
    SessionManagerLayer::new(DatabaseStore { db })
        .with_name(if production {
            "__Host-gatehouse"
        } else {
            "gatehouse"
        })
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_secure(production)
        .with_path("/")
        .with_expiry(Expiry::OnInactivity(time::Duration::minutes(IDLE_MINUTES)))
}

#[derive(Debug, Clone)]
pub struct DatabaseStore {
    db: DatabaseConnection,
}

fn to_chrono(time: time::OffsetDateTime) -> DateTime<Utc> {
    DateTime::from_timestamp(time.unix_timestamp(), time.nanosecond()).unwrap_or_default()
}

fn backend(error: impl std::fmt::Display) -> session_store::Error {
    session_store::Error::Backend(error.to_string())
}

impl DatabaseStore {
    fn row(record: &Record) -> Result<records::ActiveModel, session_store::Error> {
        Ok(records::ActiveModel {
            id: Set(record.id.to_string()),
            data: Set(serde_json::to_vec(&record.data)
                .map_err(|e| session_store::Error::Encode(e.to_string()))?),
            expiry_date: Set(to_chrono(record.expiry_date)),
        })
    }
}

#[async_trait]
impl SessionStore for DatabaseStore {
    /// Inserts under a fresh id, drawing another on the (astronomically
    /// unlikely) collision rather than overwriting someone's session.
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        loop {
            let inserted = records::Entity::insert(Self::row(record)?)
                .on_conflict(
                    OnConflict::column(records::Column::Id)
                        .do_nothing()
                        .to_owned(),
                )
                .exec_without_returning(&self.db)
                .await
                .map_err(backend)?;
            if inserted == 1 {
                return Ok(());
            }
            record.id = Id::default();
        }
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        records::Entity::insert(Self::row(record)?)
            .on_conflict(
                OnConflict::column(records::Column::Id)
                    .update_columns([records::Column::Data, records::Column::ExpiryDate])
                    .to_owned(),
            )
            .exec_without_returning(&self.db)
            .await
            .map_err(backend)?;
        Ok(())
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        let Some(row) = records::Entity::find_by_id(id.to_string())
            .filter(records::Column::ExpiryDate.gt(Utc::now()))
            .one(&self.db)
            .await
            .map_err(backend)?
        else {
            return Ok(None);
        };
        let data = serde_json::from_slice(&row.data)
            .map_err(|e| session_store::Error::Decode(e.to_string()))?;
        let expiry_date = time::OffsetDateTime::from_unix_timestamp(row.expiry_date.timestamp())
            .map_err(|e| session_store::Error::Decode(e.to_string()))?;
        Ok(Some(Record {
            id: *id,
            data,
            expiry_date,
        }))
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        records::Entity::delete_by_id(id.to_string())
            .exec(&self.db)
            .await
            .map_err(backend)?;
        Ok(())
    }
}

/// Removes expired cookie sessions; part of the periodic housekeeping.
pub async fn delete_expired(db: &DatabaseConnection) -> Result<u64, sea_orm::DbErr> {
    let deleted = records::Entity::delete_many()
        .filter(records::Column::ExpiryDate.lte(Utc::now()))
        .exec(db)
        .await?;
    Ok(deleted.rows_affected)
}
