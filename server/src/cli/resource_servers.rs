//! `server admin resource-servers ...`: the operator registers, lists and
//! revokes the services allowed to introspect tokens, without needing an
//! administrator account first.

use app::auth::{admin::Actor, AuthService, RequestMeta};

use super::{describe, ResourceServersCommand};

pub(super) async fn run(
    auth: &AuthService,
    command: ResourceServersCommand,
    meta: &RequestMeta,
) -> Result<String, String> {
    match command {
        ResourceServersCommand::Create { name } => {
            let created = auth
                .create_resource_server(Actor::Operator, &name, meta)
                .await
                .map_err(describe)?;
            Ok(format!(
                "registered {}\nclient_id:     {}\nclient_secret: {}\n\
                 The secret is shown this once; store it with the service.",
                created.info.name, created.info.client_id, created.client_secret
            ))
        }
        ResourceServersCommand::List => {
            let servers = auth
                .list_resource_servers(Actor::Operator, meta)
                .await
                .map_err(describe)?;
            if servers.is_empty() {
                return Ok("no resource servers registered".into());
            }
            let lines: Vec<String> = servers
                .iter()
                .map(|s| {
                    format!(
                        "{}  {}  created {}  last used {}",
                        s.client_id,
                        s.name,
                        s.created_at,
                        s.last_used_at.as_deref().unwrap_or("never")
                    )
                })
                .collect();
            Ok(lines.join("\n"))
        }
        ResourceServersCommand::Revoke { client_id } => {
            let id = client_id
                .trim()
                .parse()
                .map_err(|_| format!("not a client_id: {client_id}"))?;
            auth.revoke_resource_server(Actor::Operator, id, meta)
                .await
                .map_err(|e| match e {
                    app::auth::AuthError::NotFound => {
                        format!("no registered resource server {client_id}")
                    }
                    other => describe(other),
                })?;
            Ok(format!("revoked {client_id}"))
        }
    }
}
