use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "users")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub email: String,
    #[sea_orm(unique)]
    pub email_normalized: String,
    pub username: String,
    #[sea_orm(unique)]
    pub username_normalized: String,
    pub password_hash: String,
    pub is_active: bool,
    pub email_verified: bool,
    pub totp_enabled: bool,
    pub totp_secret: Option<String>,
    pub totp_pending_secret: Option<String>,
    pub totp_last_step: Option<i64>,
    pub totp_failed_attempts: i32,
    pub totp_locked_until: Option<DateTimeUtc>,
    pub failed_login_attempts: i32,
    pub locked_until: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub last_login: Option<DateTimeUtc>,
    pub last_password_change: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
