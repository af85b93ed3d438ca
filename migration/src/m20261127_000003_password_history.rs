//! Earlier password hashes, so a change can refuse the last few passwords.

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
                    .table(PasswordHistory::Table)
                    .if_not_exists()
                    .col(pk_uuid(PasswordHistory::Id))
                    .col(uuid(PasswordHistory::UserId))
                    .col(text(PasswordHistory::PasswordHash))
                    .col(timestamp_with_time_zone(PasswordHistory::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_password_history_user")
                            .from(PasswordHistory::Table, PasswordHistory::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_password_history_user_created")
                    .table(PasswordHistory::Table)
                    .col(PasswordHistory::UserId)
                    .col(PasswordHistory::CreatedAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(PasswordHistory::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
pub enum PasswordHistory {
    Table,
    Id,
    UserId,
    PasswordHash,
    CreatedAt,
}
