//! Key rotation: when each signing key starts signing.
//!
//! A rotation adds the next key with `sign_from` in the future: published at
//! once, signing from then on, while the key before it retires at that same
//! moment. Every node compares `sign_from` with its clock, so all switch
//! together. Keys stored before this migration signed from their creation.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(SigningKeys::Table)
                    .add_column(timestamp_with_time_zone_null(SigningKeys::SignFrom))
                    .to_owned(),
            )
            .await?;
        manager
            .exec_stmt(
                Query::update()
                    .table(SigningKeys::Table)
                    .value(SigningKeys::SignFrom, Expr::col(SigningKeys::CreatedAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(SigningKeys::Table)
                    .drop_column(SigningKeys::SignFrom)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum SigningKeys {
    Table,
    CreatedAt,
    SignFrom,
}
