//! The server binary's command line. `server` (or `server serve`) runs the
//! server; `server admin ...` administers from the shell — the only way to
//! make the first administrator, since nobody can grant it through the API.
//!
//! Passwords are never taken as arguments (they would show in `ps` and shell
//! history): they come from `GATEHOUSE_ADMIN_PASSWORD` or standard input.

use std::{io::BufRead, net::IpAddr};

use app::{
    auth::{
        accounts::RegisterInput,
        admin::Actor,
        clock::{Clock, SystemClock},
        permissions::ROLE_ADMIN,
        AuthError, AuthService, RequestMeta,
    },
    config::Config,
};
use clap::{Parser, Subcommand};
use std::sync::Arc;

mod resource_servers;
mod signing_keys;

#[derive(Debug, Parser)]
#[command(name = "server", version, about = "Gatehouse authentication server")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the server (the default).
    Serve,
    /// Administer accounts and signing keys from the shell.
    #[command(subcommand)]
    Admin(AdminCommand),
}

#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Create an account with a role (admin by default). The password is read
    /// from GATEHOUSE_ADMIN_PASSWORD or, if unset, from the first line of
    /// standard input; it must meet the password policy.
    CreateUser {
        #[arg(long)]
        email: String,
        #[arg(long)]
        username: String,
        #[arg(long, default_value = ROLE_ADMIN)]
        role: String,
    },
    /// Add a role (admin by default) to an existing account.
    Promote {
        #[arg(long)]
        email: String,
        #[arg(long, default_value = ROLE_ADMIN)]
        role: String,
    },
    /// The access-token signing keys (JWT_ALGORITHM=EdDSA or ES256).
    #[command(subcommand)]
    Keys(KeysCommand),
    /// The services allowed to introspect tokens (POST /api/oauth/introspect).
    #[command(subcommand)]
    ResourceServers(ResourceServersCommand),
}

#[derive(Debug, Subcommand)]
pub enum ResourceServersCommand {
    /// Register a service by name; prints its client_id and its secret,
    /// which is shown this once.
    Create { name: String },
    /// Each registered service that is not revoked.
    List,
    /// Revoke a service by client_id: its next introspection is refused.
    Revoke { client_id: String },
}

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Each stored key: kid, algorithm, state, and when it was created,
    /// signs and stops being published.
    List,
    /// Publish a new key now; it signs after JWT_KEY_PUBLICATION_SECONDS,
    /// and the key it replaces stays published until its tokens expire.
    Rotate,
}

/// Runs an admin command; the message is what the operator reads.
pub async fn run_admin(config: Config, command: AdminCommand) -> Result<String, String> {
    run_admin_with_clock(config, Arc::new(SystemClock), command).await
}

/// `run_admin` on the given clock (tests move theirs).
pub async fn run_admin_with_clock(
    config: Config,
    clock: Arc<dyn Clock>,
    command: AdminCommand,
) -> Result<String, String> {
    let db = app::db::connect(&config)
        .await
        .map_err(|e| format!("database: {e}"))?;
    app::db::migrate(&db)
        .await
        .map_err(|e| format!("database: {e}"))?;
    let auth = AuthService::new(db, Arc::new(config), clock)
        .await
        .map_err(describe)?;
    let meta = RequestMeta::new(IpAddr::from([127, 0, 0, 1]), Some("gatehouse-cli"), None);

    match command {
        AdminCommand::CreateUser {
            email,
            username,
            role,
        } => {
            let password = read_password()?;
            let input = RegisterInput {
                email: &email,
                username: &username,
                password: &password,
            };
            let user = auth.register(input, &meta).await.map_err(describe)?;
            let id = user.user_id.parse().map_err(|e| format!("{e}"))?;
            // The operator vouches for the address (no mail needed to sign in).
            auth.verify_email_by_operator(id, &meta)
                .await
                .map_err(describe)?;
            let updated = auth
                .set_roles(Actor::Operator, id, &[role], &meta)
                .await
                .map_err(describe)?;
            Ok(format!(
                "created {} ({}) with roles {:?}",
                updated.profile.email, updated.profile.id, updated.profile.roles
            ))
        }
        AdminCommand::Promote { email, role } => {
            let account = auth.find_user_by_email(&email).await.map_err(describe)?;
            let current = auth
                .user_detail(Actor::Operator, account.id, &meta)
                .await
                .map_err(describe)?;
            let mut roles = current.profile.roles;
            roles.push(role);
            let updated = auth
                .set_roles(Actor::Operator, account.id, &roles, &meta)
                .await
                .map_err(describe)?;
            Ok(format!(
                "{} now has roles {:?}",
                updated.profile.email, updated.profile.roles
            ))
        }
        AdminCommand::Keys(KeysCommand::List) => {
            let keys = auth.list_signing_keys().await.map_err(describe)?;
            Ok(signing_keys::listing(auth.config(), &keys))
        }
        AdminCommand::Keys(KeysCommand::Rotate) => {
            let rotation = auth.rotate_signing_key().await.map_err(describe)?;
            Ok(signing_keys::rotated(auth.config(), &rotation))
        }
        AdminCommand::ResourceServers(command) => {
            resource_servers::run(&auth, command, &meta).await
        }
    }
}

fn read_password() -> Result<String, String> {
    if let Ok(password) = std::env::var("GATEHOUSE_ADMIN_PASSWORD") {
        return Ok(password);
    }
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| format!("cannot read the password from standard input: {e}"))?;
    Ok(line.trim_end_matches(['\r', '\n']).to_string())
}

/// Operator-facing wording of a service error.
pub(crate) fn describe(error: AuthError) -> String {
    match error {
        AuthError::Validation(errors) | AuthError::WeakPassword(errors) => errors
            .iter()
            .map(|e| format!("{}: {}", e.field, e.message))
            .collect::<Vec<_>>()
            .join("; "),
        AuthError::EmailTaken => "an account with this email already exists".into(),
        AuthError::UsernameTaken => "this username is taken".into(),
        AuthError::NotFound => "no account with this email".into(),
        other => other.to_string(),
    }
}
