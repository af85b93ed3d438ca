//! The tower-sessions store: the browser's cookie names a row here, and the
//! row's data names the `sessions` row of the signed-in device. Kept in the
//! database so browser sessions survive restarts and are shared by nodes.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(TowerSessions::Table)
                    .if_not_exists()
                    .col(string(TowerSessions::Id).primary_key())
                    .col(blob(TowerSessions::Data))
                    .col(timestamp_with_time_zone(TowerSessions::ExpiryDate))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_tower_sessions_expiry_date")
                    .table(TowerSessions::Table)
                    .col(TowerSessions::ExpiryDate)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(TowerSessions::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
pub enum TowerSessions {
    Table,
    Id,
    Data,
    ExpiryDate,
}
