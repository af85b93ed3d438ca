use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "signing_keys")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub kid: String,
    pub algorithm: String,
    pub generation: i64,
    pub state: String,
    /// PKCS#8 DER sealed by `SecretSealer`, bound to `kid`.
    pub private_key: String,
    /// The public JWK, as JSON text.
    pub public_jwk: String,
    pub created_at: DateTimeUtc,
    /// When it starts signing (rotation); `None` for keys stored before
    /// rotation existed, which signed from `created_at`.
    pub sign_from: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
