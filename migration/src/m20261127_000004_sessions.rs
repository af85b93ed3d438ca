//! One row per signed-in device, whatever the transport (API or browser).
//!
//! Refresh tokens are not stored: a token names its session and generation and
//! carries a MAC over both under a server key, so a presented token is checked
//! without a lookup table, and rotation is one conditional UPDATE of
//! `refresh_generation`. A valid MAC for an older generation proves that a
//! rotated-away token is being replayed, which revokes the session.

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
                    .table(Sessions::Table)
                    .if_not_exists()
                    .col(pk_uuid(Sessions::Id))
                    .col(uuid(Sessions::UserId))
                    // `api` (bearer and refresh tokens) or `browser` (cookie).
                    .col(string(Sessions::Kind))
                    .col(big_integer(Sessions::RefreshGeneration).default(0))
                    .col(string_null(Sessions::IpAddress))
                    .col(text_null(Sessions::UserAgent))
                    .col(string_null(Sessions::DeviceName))
                    .col(timestamp_with_time_zone(Sessions::CreatedAt))
                    .col(timestamp_with_time_zone(Sessions::LastActivity))
                    .col(timestamp_with_time_zone(Sessions::ExpiresAt))
                    .col(timestamp_with_time_zone_null(Sessions::RevokedAt))
                    .col(string_null(Sessions::RevokedReason))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_sessions_user")
                            .from(Sessions::Table, Sessions::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_sessions_user_id")
                    .table(Sessions::Table)
                    .col(Sessions::UserId)
                    .to_owned(),
            )
            .await?;
        // The periodic clean-up deletes by expiry.
        manager
            .create_index(
                Index::create()
                    .name("idx_sessions_expires_at")
                    .table(Sessions::Table)
                    .col(Sessions::ExpiresAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Sessions::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
pub enum Sessions {
    Table,
    Id,
    UserId,
    Kind,
    RefreshGeneration,
    IpAddress,
    UserAgent,
    DeviceName,
    CreatedAt,
    LastActivity,
    ExpiresAt,
    RevokedAt,
    RevokedReason,
}
