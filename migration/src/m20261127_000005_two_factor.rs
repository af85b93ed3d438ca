//! Backup codes (keyed hashes only, each spendable once) and the pending
//! second step of a sign-in for accounts with 2FA on.

use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261127_000001_users::Users;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(BackupCodes::Table)
                    .if_not_exists()
                    .col(pk_uuid(BackupCodes::Id))
                    .col(uuid(BackupCodes::UserId))
                    // HMAC-SHA-256 of the normalised code under a server key.
                    .col(string(BackupCodes::CodeHash))
                    .col(timestamp_with_time_zone_null(BackupCodes::UsedAt))
                    .col(timestamp_with_time_zone(BackupCodes::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_backup_codes_user")
                            .from(BackupCodes::Table, BackupCodes::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_backup_codes_user_hash")
                    .table(BackupCodes::Table)
                    .col(BackupCodes::UserId)
                    .col(BackupCodes::CodeHash)
                    .unique()
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(TwoFactorChallenges::Table)
                    .if_not_exists()
                    .col(pk_uuid(TwoFactorChallenges::Id))
                    .col(uuid(TwoFactorChallenges::UserId))
                    // Hash of the secret half of the challenge token.
                    .col(string(TwoFactorChallenges::SecretHash))
                    // Carried into the session that a successful second step creates.
                    .col(string_null(TwoFactorChallenges::IpAddress))
                    .col(text_null(TwoFactorChallenges::UserAgent))
                    .col(string_null(TwoFactorChallenges::DeviceName))
                    .col(timestamp_with_time_zone(TwoFactorChallenges::CreatedAt))
                    .col(timestamp_with_time_zone(TwoFactorChallenges::ExpiresAt))
                    .col(timestamp_with_time_zone_null(
                        TwoFactorChallenges::ConsumedAt,
                    ))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_two_factor_challenges_user")
                            .from(TwoFactorChallenges::Table, TwoFactorChallenges::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_two_factor_challenges_expires_at")
                    .table(TwoFactorChallenges::Table)
                    .col(TwoFactorChallenges::ExpiresAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(TwoFactorChallenges::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(BackupCodes::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
pub enum BackupCodes {
    Table,
    Id,
    UserId,
    CodeHash,
    UsedAt,
    CreatedAt,
}

#[derive(DeriveIden)]
pub enum TwoFactorChallenges {
    Table,
    Id,
    UserId,
    SecretHash,
    IpAddress,
    UserAgent,
    DeviceName,
    CreatedAt,
    ExpiresAt,
    ConsumedAt,
}
