//! Roles and the permission map, held as data so that it can be extended at
//! run time. The three built-in roles are seeded here; `*` means every
//! permission, present and future, and belongs to `admin` alone.

use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261127_000001_users::Users;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The built-in roles and what each may do (API.md, "Roles and permissions").
const SEED: &[(&str, &str, &[&str])] = &[
    ("admin", "Everything, including user administration", &["*"]),
    (
        "editor",
        "Read and write content, read own account",
        &["content:read", "content:write", "account:read"],
    ),
    ("viewer", "Read content", &["content:read"]),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Roles::Table)
                    .if_not_exists()
                    .col(string(Roles::Name).primary_key())
                    .col(text(Roles::Description))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(RolePermissions::Table)
                    .if_not_exists()
                    .col(string(RolePermissions::Role))
                    .col(string(RolePermissions::Permission))
                    .primary_key(
                        Index::create()
                            .col(RolePermissions::Role)
                            .col(RolePermissions::Permission),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_role_permissions_role")
                            .from(RolePermissions::Table, RolePermissions::Role)
                            .to(Roles::Table, Roles::Name)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(UserRoles::Table)
                    .if_not_exists()
                    .col(uuid(UserRoles::UserId))
                    .col(string(UserRoles::Role))
                    .col(timestamp_with_time_zone(UserRoles::GrantedAt))
                    .primary_key(Index::create().col(UserRoles::UserId).col(UserRoles::Role))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_user_roles_user")
                            .from(UserRoles::Table, UserRoles::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_user_roles_role")
                            .from(UserRoles::Table, UserRoles::Role)
                            .to(Roles::Table, Roles::Name)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_user_roles_role")
                    .table(UserRoles::Table)
                    .col(UserRoles::Role)
                    .to_owned(),
            )
            .await?;

        for (role, description, permissions) in SEED {
            manager
                .exec_stmt(
                    Query::insert()
                        .into_table(Roles::Table)
                        .columns([Roles::Name, Roles::Description])
                        .values_panic([(*role).into(), (*description).into()])
                        .to_owned(),
                )
                .await?;
            for permission in *permissions {
                manager
                    .exec_stmt(
                        Query::insert()
                            .into_table(RolePermissions::Table)
                            .columns([RolePermissions::Role, RolePermissions::Permission])
                            .values_panic([(*role).into(), (*permission).into()])
                            .to_owned(),
                    )
                    .await?;
            }
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            UserRoles::Table.into_iden(),
            RolePermissions::Table.into_iden(),
            Roles::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
pub enum Roles {
    Table,
    Name,
    Description,
}

#[derive(DeriveIden)]
pub enum RolePermissions {
    Table,
    Role,
    Permission,
}

#[derive(DeriveIden)]
pub enum UserRoles {
    Table,
    UserId,
    Role,
    GrantedAt,
}
