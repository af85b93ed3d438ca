//! The `signing_keys` table: read at start and again now and then (so a
//! rotation made elsewhere reaches every node), the first key of an
//! algorithm created there at most once however many nodes start together,
//! and the next one added by a rotation, again at most once.

use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    sea_query::OnConflict, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait,
    QueryFilter, QueryOrder,
};

use super::{
    algorithm::JwtAlgorithm,
    key_pair::KeyPair,
    schedule::{KeyState, Schedule},
};
use crate::{
    auth::{crypto::secret_box::SecretSealer, error::AuthError},
    entities::signing_keys,
};

/// One stored key as `keys list` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyListing {
    pub kid: String,
    pub algorithm: String,
    pub generation: i64,
    pub state: KeyState,
    pub created_at: DateTime<Utc>,
    pub schedule: Schedule,
    /// When it leaves the JWK Set (for a key with a successor).
    pub unpublished_at: Option<DateTime<Utc>>,
}

/// What a rotation did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rotation {
    /// A new key, published now, signing from `sign_from`.
    Scheduled {
        kid: String,
        sign_from: DateTime<Utc>,
    },
    /// A key published earlier does not sign yet: that rotation stands.
    AlreadyPending {
        kid: String,
        sign_from: DateTime<Utc>,
    },
}

/// The keys of `algorithm` still trusted at `now` (newest generation
/// first) with their schedules, creating the first key if none can sign.
pub(super) async fn load_or_create(
    db: &impl ConnectionTrait,
    algorithm: JwtAlgorithm,
    sealer: &SecretSealer,
    now: DateTime<Utc>,
    grace: Duration,
) -> Result<Vec<(KeyPair, Schedule)>, AuthError> {
    let mut rows = rows_of(db, algorithm).await?;
    if !rows.iter().any(|row| sign_from(row) <= now) {
        create(db, algorithm, next_generation(&rows), now, sealer, now).await?;
        rows = rows_of(db, algorithm).await?;
    }
    let schedules = schedules(&rows);
    let mut keys = Vec::with_capacity(rows.len());
    for (row, schedule) in rows.iter().zip(schedules) {
        let state = schedule.state(now, grace);
        if row.state != state.stored() {
            record_state(db, row, state).await?;
        }
        if state != KeyState::Expired {
            keys.push((open(db, row, algorithm, sealer).await?, schedule));
        }
    }
    Ok(keys)
}

/// Every stored key of `algorithm`, newest first, as it stands at `now`.
pub(super) async fn list(
    db: &impl ConnectionTrait,
    algorithm: JwtAlgorithm,
    now: DateTime<Utc>,
    grace: Duration,
) -> Result<Vec<KeyListing>, AuthError> {
    let rows = rows_of(db, algorithm).await?;
    Ok(rows
        .iter()
        .zip(schedules(&rows))
        .map(|(row, schedule)| KeyListing {
            kid: row.kid.clone(),
            algorithm: row.algorithm.clone(),
            generation: row.generation,
            state: schedule.state(now, grace),
            created_at: row.created_at,
            schedule,
            unpublished_at: schedule.unpublished_at(grace),
        })
        .collect())
}

/// Adds the next key, published from now and signing from `now + delay`,
/// unless one is already waiting to sign. Nodes (or operators) rotating
/// together insert the same generation: the database keeps one.
pub(super) async fn rotate(
    db: &impl ConnectionTrait,
    algorithm: JwtAlgorithm,
    sealer: &SecretSealer,
    now: DateTime<Utc>,
    delay: Duration,
) -> Result<Rotation, AuthError> {
    let rows = rows_of(db, algorithm).await?;
    if let Some(pending) = pending(&rows, now) {
        return Ok(pending);
    }
    let sign_from = now + delay;
    let kid = create(
        db,
        algorithm,
        next_generation(&rows),
        sign_from,
        sealer,
        now,
    )
    .await?;
    match kid {
        Some(kid) => Ok(Rotation::Scheduled { kid, sign_from }),
        None => pending(&rows_of(db, algorithm).await?, now)
            .ok_or_else(|| AuthError::internal("a concurrent rotation left no pending key")),
    }
}

/// Whether the active key has signed for `interval` with no successor in
/// sight: then the automatic schedule rotates.
pub(super) async fn due_for_rotation(
    db: &impl ConnectionTrait,
    algorithm: JwtAlgorithm,
    now: DateTime<Utc>,
    interval: Duration,
) -> Result<bool, AuthError> {
    let rows = rows_of(db, algorithm).await?;
    Ok(match rows.first() {
        Some(newest) => sign_from(newest) + interval <= now,
        None => false,
    })
}

fn pending(rows: &[signing_keys::Model], now: DateTime<Utc>) -> Option<Rotation> {
    rows.iter()
        .find(|row| sign_from(row) > now)
        .map(|row| Rotation::AlreadyPending {
            kid: row.kid.clone(),
            sign_from: sign_from(row),
        })
}

/// Keys stored before rotation existed signed from their creation.
fn sign_from(row: &signing_keys::Model) -> DateTime<Utc> {
    row.sign_from.unwrap_or(row.created_at)
}

fn schedules(rows: &[signing_keys::Model]) -> Vec<Schedule> {
    Schedule::of_generations(&rows.iter().map(sign_from).collect::<Vec<_>>())
}

fn next_generation(rows: &[signing_keys::Model]) -> i64 {
    rows.iter().map(|row| row.generation).max().unwrap_or(0) + 1
}

async fn rows_of(
    db: &impl ConnectionTrait,
    algorithm: JwtAlgorithm,
) -> Result<Vec<signing_keys::Model>, AuthError> {
    Ok(signing_keys::Entity::find()
        .filter(signing_keys::Column::Algorithm.eq(algorithm.name()))
        .order_by_desc(signing_keys::Column::Generation)
        .all(db)
        .await?)
}

/// Keeps the `state` column telling what time has decided; conditional on
/// the old value, so nodes doing it together write it once.
async fn record_state(
    db: &impl ConnectionTrait,
    row: &signing_keys::Model,
    state: KeyState,
) -> Result<(), AuthError> {
    signing_keys::Entity::update_many()
        .col_expr(
            signing_keys::Column::State,
            sea_orm::sea_query::Expr::value(state.stored()),
        )
        .filter(signing_keys::Column::Kid.eq(&row.kid))
        .filter(signing_keys::Column::State.eq(&row.state))
        .exec(db)
        .await?;
    Ok(())
}

/// Inserts a fresh key as `generation`, signing from `sign_from`, unless
/// another node already did; its kid when this call inserted it.
async fn create(
    db: &impl ConnectionTrait,
    algorithm: JwtAlgorithm,
    generation: i64,
    sign_from: DateTime<Utc>,
    sealer: &SecretSealer,
    now: DateTime<Utc>,
) -> Result<Option<String>, AuthError> {
    let pair = KeyPair::generate(algorithm)?;
    let state = if sign_from <= now {
        KeyState::Active
    } else {
        KeyState::Next
    };
    let row = signing_keys::ActiveModel {
        kid: Set(pair.kid().to_string()),
        algorithm: Set(algorithm.name().to_string()),
        generation: Set(generation),
        state: Set(state.stored().to_string()),
        private_key: Set(sealer.seal(pair.pkcs8(), &aad(pair.kid()))?),
        public_jwk: Set(serde_json::to_string(pair.public_jwk()).map_err(AuthError::internal)?),
        created_at: Set(now),
        sign_from: Set(Some(sign_from)),
    };
    let inserted = signing_keys::Entity::insert(row)
        .on_conflict(
            OnConflict::columns([
                signing_keys::Column::Algorithm,
                signing_keys::Column::Generation,
            ])
            .do_nothing()
            .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    if inserted != 1 {
        return Ok(None);
    }
    tracing::info!(
        kid = pair.kid(),
        algorithm = algorithm.name(),
        generation,
        sign_from = %sign_from,
        "generated an access-token signing key"
    );
    Ok(Some(pair.kid().to_string()))
}

/// Opens a stored key; one sealed under an older database encryption key is
/// sealed again under the current one, so that older key can be retired.
async fn open(
    db: &impl ConnectionTrait,
    row: &signing_keys::Model,
    algorithm: JwtAlgorithm,
    sealer: &SecretSealer,
) -> Result<KeyPair, AuthError> {
    let unreadable = |error: AuthError| {
        AuthError::Internal(format!("signing key {} cannot be opened: {error}", row.kid))
    };
    let pkcs8 = sealer
        .open(&row.private_key, &aad(&row.kid))
        .map_err(unreadable)?;
    let pair = KeyPair::from_pkcs8(algorithm, pkcs8).map_err(unreadable)?;
    if pair.kid() != row.kid {
        return Err(AuthError::Internal(format!(
            "signing key {} does not match its private key",
            row.kid
        )));
    }
    if sealer.needs_reseal(&row.private_key) {
        // Conditional on the old text: a node that resealed first wins.
        signing_keys::Entity::update_many()
            .col_expr(
                signing_keys::Column::PrivateKey,
                sea_orm::sea_query::Expr::value(sealer.seal(pair.pkcs8(), &aad(pair.kid()))?),
            )
            .filter(signing_keys::Column::Kid.eq(&row.kid))
            .filter(signing_keys::Column::PrivateKey.eq(&row.private_key))
            .exec(db)
            .await?;
    }
    Ok(pair)
}

/// Associated data binding a sealed private key to its kid: a ciphertext
/// copied onto another row does not open there.
fn aad(kid: &str) -> Vec<u8> {
    format!("signing-key:{kid}").into_bytes()
}
