//! 2FA secrets at rest: the TOTP secret is stored only encrypted and backup
//! codes only as keyed hashes; both survive a rotation of the encryption key.

use crate::{
    helpers::TestApp,
    two_factor::{challenge, code, enrolled, verify_backup, verify_totp},
};

crate::backend_tests!(the_secret_is_stored_only_encrypted);

async fn the_secret_is_stored_only_encrypted(app: TestApp) {
    use sea_orm::{ConnectionTrait, Statement};
    let user = enrolled(&app, "vic").await;
    let db = &app.state.db;
    let row = db
        .query_one(Statement::from_string(
            db.get_database_backend(),
            "SELECT totp_secret, totp_pending_secret FROM users",
        ))
        .await
        .unwrap()
        .unwrap();
    let stored: String = row.try_get("", "totp_secret").unwrap();
    let pending: Option<String> = row.try_get("", "totp_pending_secret").unwrap();
    assert!(pending.is_none());
    assert!(stored.starts_with("v1:"), "{stored}");
    let base32 = data_encoding::BASE32_NOPAD.encode(&user.secret);
    let hex = user
        .secret
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<String>();
    assert!(!stored.contains(&base32) && !stored.to_lowercase().contains(&hex));
    // Backup codes are stored only as keyed hashes.
    let rows = db
        .query_all(Statement::from_string(
            db.get_database_backend(),
            "SELECT code_hash FROM backup_codes",
        ))
        .await
        .unwrap();
    let hashes: Vec<String> = rows
        .iter()
        .map(|r| r.try_get("", "code_hash").unwrap())
        .collect();
    assert_eq!(hashes.len(), 10);
    for backup in &user.backup_codes {
        assert!(hashes.iter().all(|h| !h.contains(backup.as_str())));
    }
}

/// Rotating `DATABASE_ENCRYPTION_KEY`: secrets and backup codes written under
/// the old key version keep working once the old key is listed in
/// `DATABASE_ENCRYPTION_PREVIOUS_KEYS`, and not without it.
#[tokio::test]
async fn secrets_written_before_a_key_rotation_still_work() {
    let dir = tempfile::tempdir().unwrap();
    let database = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("rotate.db").display()
    );
    let old_key = crate::helpers::random_secret(32);
    let new_key = crate::helpers::random_secret(32);
    let jwt = crate::helpers::random_secret(48);
    let start = |vars: Vec<(&'static str, String)>| {
        let database = database.clone();
        let jwt = jwt.clone();
        TestApp::spawn_with(crate::helpers::Backend::Sqlite, move |config| {
            config.insert("DATABASE_URL".into(), database);
            config.insert("JWT_SECRET_KEY".into(), jwt);
            for (key, value) in vars {
                config.insert(key.into(), value);
            }
        })
    };

    let before = start(vec![("DATABASE_ENCRYPTION_KEY", old_key.clone())])
        .await
        .unwrap();
    let user = enrolled(&before, "rota").await;

    let rotated = start(vec![
        ("DATABASE_ENCRYPTION_KEY", new_key.clone()),
        ("DATABASE_ENCRYPTION_KEY_VERSION", "2".into()),
        ("DATABASE_ENCRYPTION_PREVIOUS_KEYS", format!("1:{old_key}")),
    ])
    .await
    .unwrap();
    // Each application has its own clock: move past the step used at setup.
    rotated.clock.advance(chrono::Duration::seconds(90));
    let first = challenge(&rotated, &user.email).await;
    let at = |app: &TestApp| code(app, &user.secret, 0);
    assert_eq!(
        verify_totp(&rotated, &first, &at(&rotated)).await.status(),
        200
    );
    let second = challenge(&rotated, &user.email).await;
    assert_eq!(
        verify_backup(&rotated, &second, &user.backup_codes[0])
            .await
            .status(),
        200
    );

    // Without the old key the old secret cannot be opened: refused, never
    // accepted, never a plaintext fallback.
    let forgotten = start(vec![
        ("DATABASE_ENCRYPTION_KEY", new_key.clone()),
        ("DATABASE_ENCRYPTION_KEY_VERSION", "2".into()),
    ])
    .await
    .unwrap();
    let third = challenge(&forgotten, &user.email).await;
    forgotten.clock.advance(chrono::Duration::seconds(60));
    let status = verify_backup(&forgotten, &third, &user.backup_codes[1])
        .await
        .status();
    assert_eq!(status, 401);
}
