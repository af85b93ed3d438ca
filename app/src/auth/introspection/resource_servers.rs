//! The services allowed to introspect tokens. An administrator (permission
//! `resource_servers:write`) or the operator (`server admin
//! resource-servers create`) registers one by name and is shown its secret
//! once; only a keyed hash is kept. A resource server authenticates with
//! HTTP Basic: its id as the user name, the secret as the password.

use sea_orm::{
    sea_query::Expr, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, TransactionTrait,
};
use serde_json::json;
use uuid::Uuid;

use crate::auth::{
    admin::Actor,
    audit::{AuditAction, AuditEvent},
    clock::rfc3339,
    crypto::bearer_secret,
    error::{AuthError, FieldError},
    ids::ResourceServerId,
    permissions::RESOURCE_SERVERS_WRITE,
    request::meta::RequestMeta,
    AuthService,
};
use crate::{
    entities::resource_servers,
    types::{NewResourceServer, ResourceServerInfo},
};

/// What every resource-server secret starts with.
pub const SECRET_PREFIX: &str = "gatehouse_rs_";
const MAX_NAME_CHARS: usize = 64;

impl AuthService {
    /// Registers a resource server and shows its secret this once.
    #[tracing::instrument(skip_all, fields(actor = ?actor.id()))]
    pub async fn create_resource_server(
        &self,
        actor: Actor<'_>,
        name: &str,
        meta: &RequestMeta,
    ) -> Result<NewResourceServer, AuthError> {
        self.require_permission(actor, RESOURCE_SERVERS_WRITE, meta)
            .await?;
        let name = name.trim();
        if name.is_empty() || name.chars().count() > MAX_NAME_CHARS {
            let code = if name.is_empty() {
                "required"
            } else {
                "too_long"
            };
            return Err(AuthError::Validation(vec![FieldError::new("name", code)]));
        }
        let secret = bearer_secret::generate(SECRET_PREFIX);
        let now = self.now();
        let row = resource_servers::Model {
            id: Uuid::new_v4(),
            name: name.to_string(),
            secret_hash: bearer_secret::keyed_hash(&self.keys().resource_server_mac, &secret),
            created_at: now,
            created_by: actor.id(),
            last_used_at: None,
            revoked_at: None,
        };
        let event = AuditEvent::new(AuditAction::ResourceServerCreated)
            .by(actor.audited())
            .details(json!({ "resource_server": { "id": row.id, "name": row.name } }));
        let info = server_info(&row);
        let meta = meta.clone();
        self.db()
            .transaction::<_, (), AuthError>(|txn| {
                Box::pin(async move {
                    resource_servers::Entity::insert(resource_servers::ActiveModel::from(row))
                        .exec_without_returning(txn)
                        .await?;
                    event.record(txn, now, &meta).await
                })
            })
            .await?;
        Ok(NewResourceServer {
            client_secret: secret,
            info,
        })
    }

    /// The registered resource servers that are not revoked, oldest first.
    #[tracing::instrument(skip_all, fields(actor = ?actor.id()))]
    pub async fn list_resource_servers(
        &self,
        actor: Actor<'_>,
        meta: &RequestMeta,
    ) -> Result<Vec<ResourceServerInfo>, AuthError> {
        self.require_permission(actor, RESOURCE_SERVERS_WRITE, meta)
            .await?;
        Ok(resource_servers::Entity::find()
            .filter(resource_servers::Column::RevokedAt.is_null())
            .order_by_asc(resource_servers::Column::CreatedAt)
            .all(self.db())
            .await?
            .iter()
            .map(server_info)
            .collect())
    }

    /// Revokes a resource server: its next introspection is refused.
    #[tracing::instrument(skip_all, fields(actor = ?actor.id(), resource_server = %id))]
    pub async fn revoke_resource_server(
        &self,
        actor: Actor<'_>,
        id: ResourceServerId,
        meta: &RequestMeta,
    ) -> Result<(), AuthError> {
        self.require_permission(actor, RESOURCE_SERVERS_WRITE, meta)
            .await?;
        let now = self.now();
        let revoked = resource_servers::Entity::update_many()
            .col_expr(resource_servers::Column::RevokedAt, Expr::value(now))
            .filter(resource_servers::Column::Id.eq(id))
            .filter(resource_servers::Column::RevokedAt.is_null())
            .exec(self.db())
            .await?;
        if revoked.rows_affected == 0 {
            return Err(AuthError::NotFound);
        }
        self.audit(
            AuditEvent::new(AuditAction::ResourceServerRevoked)
                .by(actor.audited())
                .details(json!({ "resource_server": { "id": id } })),
            meta,
        )
        .await
    }

    /// The resource server `client_id` names, if it is registered, not
    /// revoked, and `secret` is its secret. An unknown id costs the same
    /// hash as a known one.
    pub(crate) async fn authenticated_resource_server(
        &self,
        client_id: &str,
        secret: &str,
    ) -> Result<Option<resource_servers::Model>, AuthError> {
        let key = &self.keys().resource_server_mac;
        let found = match Uuid::parse_str(client_id.trim()) {
            Ok(id) => {
                resource_servers::Entity::find_by_id(id)
                    .filter(resource_servers::Column::RevokedAt.is_null())
                    .one(self.db())
                    .await?
            }
            Err(_) => None,
        };
        let Some(server) = found else {
            let _ = bearer_secret::matches(key, secret, "");
            return Ok(None);
        };
        Ok(bearer_secret::matches(key, secret, &server.secret_hash).then_some(server))
    }

    /// Records that `server` introspected at most once per
    /// `activity_resolution` (one conditional UPDATE, no audit row).
    pub(crate) async fn record_resource_server_use(
        &self,
        server: &resource_servers::Model,
    ) -> Result<(), AuthError> {
        let now = self.now();
        let stale = now - self.policies().activity_resolution;
        if server.last_used_at.is_some_and(|used| used > stale) {
            return Ok(());
        }
        resource_servers::Entity::update_many()
            .col_expr(resource_servers::Column::LastUsedAt, Expr::value(now))
            .filter(resource_servers::Column::Id.eq(server.id))
            .exec(self.db())
            .await?;
        Ok(())
    }
}

fn server_info(row: &resource_servers::Model) -> ResourceServerInfo {
    ResourceServerInfo {
        client_id: row.id.to_string(),
        name: row.name.clone(),
        created_at: rfc3339(row.created_at),
        last_used_at: row.last_used_at.map(rfc3339),
    }
}
