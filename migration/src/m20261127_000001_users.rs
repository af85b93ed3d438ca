//! Accounts. Email and username are kept as typed for display, and once more
//! normalised (trimmed, lower-cased) under a unique index, so uniqueness is
//! case-insensitive on both SQLite and PostgreSQL without collation tricks.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Users::Table)
                    .if_not_exists()
                    .col(pk_uuid(Users::Id))
                    .col(string(Users::Email))
                    .col(string_uniq(Users::EmailNormalized))
                    .col(string(Users::Username))
                    .col(string_uniq(Users::UsernameNormalized))
                    // A PHC string: `$argon2id$...` or the legacy `$pbkdf2-sha256$...`.
                    .col(text(Users::PasswordHash))
                    .col(boolean(Users::IsActive).default(true))
                    .col(boolean(Users::EmailVerified).default(false))
                    .col(boolean(Users::TotpEnabled).default(false))
                    // AES-256-GCM ciphertexts with a key-version prefix; never plaintext.
                    .col(text_null(Users::TotpSecret))
                    .col(text_null(Users::TotpPendingSecret))
                    // The last accepted TOTP time step, for replay protection.
                    .col(big_integer_null(Users::TotpLastStep))
                    .col(integer(Users::TotpFailedAttempts).default(0))
                    .col(timestamp_with_time_zone_null(Users::TotpLockedUntil))
                    .col(integer(Users::FailedLoginAttempts).default(0))
                    .col(timestamp_with_time_zone_null(Users::LockedUntil))
                    .col(timestamp_with_time_zone(Users::CreatedAt))
                    .col(timestamp_with_time_zone(Users::UpdatedAt))
                    .col(timestamp_with_time_zone_null(Users::LastLogin))
                    .col(timestamp_with_time_zone(Users::LastPasswordChange))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_users_created_at")
                    .table(Users::Table)
                    .col(Users::CreatedAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Users::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
pub enum Users {
    Table,
    Id,
    Email,
    EmailNormalized,
    Username,
    UsernameNormalized,
    PasswordHash,
    IsActive,
    EmailVerified,
    TotpEnabled,
    TotpSecret,
    TotpPendingSecret,
    TotpLastStep,
    TotpFailedAttempts,
    TotpLockedUntil,
    FailedLoginAttempts,
    LockedUntil,
    CreatedAt,
    UpdatedAt,
    LastLogin,
    LastPasswordChange,
}
