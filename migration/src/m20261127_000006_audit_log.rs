//! Security events: who, what, when, from where. Rows outlive their user
//! (`ON DELETE SET NULL`): an audit trail must not vanish with the account.

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
                    .table(AuditLog::Table)
                    .if_not_exists()
                    .col(big_integer(AuditLog::Id).auto_increment().primary_key())
                    // The account the event is about.
                    .col(uuid_null(AuditLog::UserId))
                    // Who did it, when not the user themself (an administrator).
                    .col(uuid_null(AuditLog::ActorId))
                    .col(string(AuditLog::Action))
                    .col(json_binary(AuditLog::Details))
                    .col(string_null(AuditLog::IpAddress))
                    .col(text_null(AuditLog::UserAgent))
                    .col(string_null(AuditLog::RequestId))
                    .col(timestamp_with_time_zone(AuditLog::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_audit_log_user")
                            .from(AuditLog::Table, AuditLog::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_audit_log_actor")
                            .from(AuditLog::Table, AuditLog::ActorId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, columns) in [
            (
                "idx_audit_log_user_created",
                vec![AuditLog::UserId, AuditLog::CreatedAt],
            ),
            (
                "idx_audit_log_action_created",
                vec![AuditLog::Action, AuditLog::CreatedAt],
            ),
            ("idx_audit_log_created", vec![AuditLog::CreatedAt]),
        ] {
            let mut index = Index::create();
            index.name(name).table(AuditLog::Table);
            for column in columns {
                index.col(column);
            }
            manager.create_index(index.to_owned()).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(AuditLog::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
pub enum AuditLog {
    Table,
    Id,
    UserId,
    ActorId,
    Action,
    Details,
    IpAddress,
    UserAgent,
    RequestId,
    CreatedAt,
}
