//! The data model of DESIGN.md exists after start, with the constraints the
//! rules rely on, and running the migrations again changes nothing.

use migration::{Migrator, MigratorTrait};
use sea_orm::{
    sea_query::{Alias, Query},
    ConnectionTrait, DatabaseConnection, Statement,
};
use sea_orm_migration::SchemaManager;

use crate::helpers::TestApp;

crate::backend_tests!(
    the_whole_schema_exists_after_start,
    a_second_migration_run_is_a_no_op,
    built_in_roles_are_seeded,
    email_and_username_are_unique_case_insensitively,
    a_backup_code_hash_is_unique_per_user,
    deleting_a_user_cascades_but_keeps_the_audit_trail,
);

const TABLES: &[&str] = &[
    "users",
    "roles",
    "role_permissions",
    "user_roles",
    "password_history",
    "sessions",
    "backup_codes",
    "two_factor_challenges",
    "audit_log",
    "tower_sessions",
    "account_tokens",
    "email_outbox",
    "signing_keys",
];

async fn the_whole_schema_exists_after_start(app: TestApp) {
    let manager = SchemaManager::new(&app.state.db);
    for table in TABLES {
        assert!(manager.has_table(*table).await.unwrap(), "table {table}");
    }
    for (table, index) in [
        ("users", "idx_users_created_at"),
        ("sessions", "idx_sessions_user_id"),
        ("sessions", "idx_sessions_expires_at"),
        ("password_history", "idx_password_history_user_created"),
        ("backup_codes", "uq_backup_codes_user_hash"),
        ("audit_log", "idx_audit_log_user_created"),
        ("audit_log", "idx_audit_log_action_created"),
        ("tower_sessions", "idx_tower_sessions_expiry_date"),
        ("account_tokens", "uq_account_tokens_hash"),
        ("account_tokens", "idx_account_tokens_user_purpose"),
        ("email_outbox", "idx_email_outbox_status_next_attempt"),
    ] {
        assert!(
            manager.has_index(table, index).await.unwrap(),
            "index {index} on {table}"
        );
    }
    for column in [
        "totp_secret",
        "totp_last_step",
        "failed_login_attempts",
        "locked_until",
    ] {
        assert!(
            manager.has_column("users", column).await.unwrap(),
            "users.{column}"
        );
    }
}

async fn a_second_migration_run_is_a_no_op(app: TestApp) {
    let db = &app.state.db;
    let applied_before = count(db, "seaql_migrations").await;
    assert_eq!(applied_before, Migrator::migrations().len() as i64);

    app::db::migrate(db).await.expect("second run succeeds");

    assert_eq!(count(db, "seaql_migrations").await, applied_before);
    assert!(Migrator::get_pending_migrations(db)
        .await
        .unwrap()
        .is_empty());
    assert_eq!(count(db, "roles").await, 3, "seed data is not duplicated");
}

async fn built_in_roles_are_seeded(app: TestApp) {
    let db = &app.state.db;
    let rows = db
        .query_all(Statement::from_string(
            db.get_database_backend(),
            "SELECT role, permission FROM role_permissions ORDER BY role, permission",
        ))
        .await
        .unwrap();
    let pairs: Vec<(String, String)> = rows
        .iter()
        .map(|row| {
            (
                row.try_get::<String>("", "role").unwrap(),
                row.try_get::<String>("", "permission").unwrap(),
            )
        })
        .collect();
    assert!(pairs.contains(&("admin".into(), "*".into())));
    assert!(pairs.contains(&("editor".into(), "content:write".into())));
    assert!(pairs.contains(&("viewer".into(), "content:read".into())));
    assert!(!pairs.contains(&("viewer".into(), "content:write".into())));
}

async fn email_and_username_are_unique_case_insensitively(app: TestApp) {
    let db = &app.state.db;
    insert_user(db, "Alice@Example.com", "Alice").await.unwrap();
    // The service stores the normalised forms; the database refuses a second
    // account that normalises to the same email or username.
    assert!(insert_user(db, "alice@example.COM", "someone_else")
        .await
        .is_err());
    assert!(insert_user(db, "other@example.com", "ALICE").await.is_err());
    insert_user(db, "bob@example.com", "bob").await.unwrap();
    assert_eq!(count(db, "users").await, 2);
}

async fn a_backup_code_hash_is_unique_per_user(app: TestApp) {
    let db = &app.state.db;
    let user = insert_user(db, "carol@example.com", "carol").await.unwrap();
    let other = insert_user(db, "dave@example.com", "dave").await.unwrap();
    insert_backup_code(db, user, "hash-1").await.unwrap();
    assert!(insert_backup_code(db, user, "hash-1").await.is_err());
    insert_backup_code(db, other, "hash-1").await.unwrap();
}

async fn deleting_a_user_cascades_but_keeps_the_audit_trail(app: TestApp) {
    let db = &app.state.db;
    let user = insert_user(db, "erin@example.com", "erin").await.unwrap();
    insert_backup_code(db, user, "hash-2").await.unwrap();
    let backend = db.get_database_backend();
    let audit = Query::insert()
        .into_table(Alias::new("audit_log"))
        .columns(["user_id", "action", "details", "created_at"].map(Alias::new))
        .values_panic([
            user.into(),
            "login_succeeded".into(),
            serde_json::json!({}).into(),
            chrono::Utc::now().into(),
        ])
        .to_owned();
    db.execute(backend.build(&audit)).await.unwrap();

    let delete = Query::delete()
        .from_table(Alias::new("users"))
        .and_where(sea_orm::sea_query::Expr::col(Alias::new("id")).eq(user))
        .to_owned();
    db.execute(backend.build(&delete)).await.unwrap();

    assert_eq!(count(db, "backup_codes").await, 0);
    assert_eq!(
        count(db, "audit_log").await,
        1,
        "audit rows outlive the user"
    );
}

async fn count(db: &DatabaseConnection, table: &str) -> i64 {
    let row = db
        .query_one(Statement::from_string(
            db.get_database_backend(),
            format!("SELECT COUNT(*) AS n FROM {table}"),
        ))
        .await
        .unwrap()
        .unwrap();
    row.try_get::<i64>("", "n").unwrap()
}

async fn insert_user(
    db: &DatabaseConnection,
    email: &str,
    username: &str,
) -> Result<uuid::Uuid, sea_orm::DbErr> {
    let id = uuid::Uuid::new_v4();
    let now = chrono::Utc::now();
    let insert = Query::insert()
        .into_table(Alias::new("users"))
        .columns(
            [
                "id",
                "email",
                "email_normalized",
                "username",
                "username_normalized",
                "password_hash",
                "created_at",
                "updated_at",
                "last_password_change",
            ]
            .map(Alias::new),
        )
        .values_panic([
            id.into(),
            email.into(),
            email.to_lowercase().into(),
            username.into(),
            username.to_lowercase().into(),
            "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into(),
            now.into(),
            now.into(),
            now.into(),
        ])
        .to_owned();
    db.execute(db.get_database_backend().build(&insert)).await?;
    Ok(id)
}

async fn insert_backup_code(
    db: &DatabaseConnection,
    user: uuid::Uuid,
    hash: &str,
) -> Result<(), sea_orm::DbErr> {
    let insert = Query::insert()
        .into_table(Alias::new("backup_codes"))
        .columns(["id", "user_id", "code_hash", "created_at"].map(Alias::new))
        .values_panic([
            uuid::Uuid::new_v4().into(),
            user.into(),
            hash.into(),
            chrono::Utc::now().into(),
        ])
        .to_owned();
    db.execute(db.get_database_backend().build(&insert))
        .await
        .map(|_| ())
}
