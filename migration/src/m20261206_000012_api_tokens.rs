//! Personal API tokens (for a user's scripts and CI) and resource-server
//! credentials (for services that introspect tokens, RFC 7662).
//!
//! Neither secret is stored: only an HMAC-SHA-256 under a server key, so the
//! tables alone cannot be turned into working credentials. A presented token
//! is found by the hash of what was presented (unique index); a resource
//! server by its id, its secret compared in constant time.

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
                    .table(ApiTokens::Table)
                    .if_not_exists()
                    .col(pk_uuid(ApiTokens::Id))
                    .col(uuid(ApiTokens::UserId))
                    .col(string(ApiTokens::Name))
                    // HMAC-SHA-256 (hex) of the whole token under a server key.
                    .col(string(ApiTokens::TokenHash))
                    // The token's last four characters, to tell tokens apart.
                    .col(string(ApiTokens::Hint))
                    // Space-separated scopes, sorted.
                    .col(string(ApiTokens::Scopes))
                    .col(timestamp_with_time_zone(ApiTokens::CreatedAt))
                    .col(timestamp_with_time_zone(ApiTokens::ExpiresAt))
                    .col(timestamp_with_time_zone_null(ApiTokens::LastUsedAt))
                    .col(string_null(ApiTokens::LastUsedIp))
                    .col(timestamp_with_time_zone_null(ApiTokens::RevokedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_api_tokens_user")
                            .from(ApiTokens::Table, ApiTokens::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_api_tokens_hash")
                    .table(ApiTokens::Table)
                    .col(ApiTokens::TokenHash)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_api_tokens_user")
                    .table(ApiTokens::Table)
                    .col(ApiTokens::UserId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ResourceServers::Table)
                    .if_not_exists()
                    // Also the client id of HTTP Basic authentication.
                    .col(pk_uuid(ResourceServers::Id))
                    .col(string(ResourceServers::Name))
                    // HMAC-SHA-256 (hex) of the secret under a server key.
                    .col(string(ResourceServers::SecretHash))
                    .col(timestamp_with_time_zone(ResourceServers::CreatedAt))
                    // The administrator who created it (none: the operator).
                    .col(uuid_null(ResourceServers::CreatedBy))
                    .col(timestamp_with_time_zone_null(ResourceServers::LastUsedAt))
                    .col(timestamp_with_time_zone_null(ResourceServers::RevokedAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ResourceServers::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(ApiTokens::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum ApiTokens {
    Table,
    Id,
    UserId,
    Name,
    TokenHash,
    Hint,
    Scopes,
    CreatedAt,
    ExpiresAt,
    LastUsedAt,
    LastUsedIp,
    RevokedAt,
}

#[derive(DeriveIden)]
enum ResourceServers {
    Table,
    Id,
    Name,
    SecretHash,
    CreatedAt,
    CreatedBy,
    LastUsedAt,
    RevokedAt,
}
