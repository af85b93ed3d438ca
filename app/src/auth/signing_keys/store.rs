//! The `signing_keys` table: read at start, and the first key of an
//! algorithm created there at most once, however many nodes start together.

use chrono::{DateTime, Utc};
use sea_orm::{
    sea_query::OnConflict, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait,
    QueryFilter, QueryOrder,
};

use super::{algorithm::JwtAlgorithm, key_pair::KeyPair};
use crate::{
    auth::{crypto::secret_box::SecretSealer, error::AuthError},
    entities::signing_keys,
};

/// The state of the key that signs new tokens.
pub(super) const ACTIVE: &str = "active";

/// The keys of `algorithm` and the kid of the one that signs, creating that
/// one if there is none yet.
pub(super) async fn load_or_create(
    db: &impl ConnectionTrait,
    algorithm: JwtAlgorithm,
    sealer: &SecretSealer,
    now: DateTime<Utc>,
) -> Result<(String, Vec<KeyPair>), AuthError> {
    let mut rows = rows_of(db, algorithm).await?;
    if !rows.iter().any(|row| row.state == ACTIVE) {
        let generation = rows.iter().map(|row| row.generation).max().unwrap_or(0) + 1;
        create(db, algorithm, generation, sealer, now).await?;
        rows = rows_of(db, algorithm).await?;
    }
    // Rows come newest generation first: the first active one signs.
    let signing = rows
        .iter()
        .find(|row| row.state == ACTIVE)
        .map(|row| row.kid.clone())
        .ok_or_else(|| AuthError::internal("no active signing key after creating one"))?;
    let mut pairs = Vec::with_capacity(rows.len());
    for row in &rows {
        pairs.push(open(db, row, algorithm, sealer).await?);
    }
    Ok((signing, pairs))
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

/// Inserts a fresh key as `generation` unless another node already did.
async fn create(
    db: &impl ConnectionTrait,
    algorithm: JwtAlgorithm,
    generation: i64,
    sealer: &SecretSealer,
    now: DateTime<Utc>,
) -> Result<(), AuthError> {
    let pair = KeyPair::generate(algorithm)?;
    let row = signing_keys::ActiveModel {
        kid: Set(pair.kid().to_string()),
        algorithm: Set(algorithm.name().to_string()),
        generation: Set(generation),
        state: Set(ACTIVE.to_string()),
        private_key: Set(sealer.seal(pair.pkcs8(), &aad(pair.kid()))?),
        public_jwk: Set(serde_json::to_string(pair.public_jwk()).map_err(AuthError::internal)?),
        created_at: Set(now),
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
    if inserted == 1 {
        tracing::info!(
            kid = pair.kid(),
            algorithm = algorithm.name(),
            "generated an access-token signing key"
        );
    }
    Ok(())
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
