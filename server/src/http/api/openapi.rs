//! The OpenAPI 3.1 document, generated from the handlers' annotations and
//! served at `/api/openapi.json`; Swagger UI at `/docs` serves its assets from
//! this binary (no CDN).

use utoipa::{
    openapi::security::{Http, HttpAuthScheme, SecurityScheme},
    Modify, OpenApi,
};

use super::{admin, api_tokens, auth, introspection, recovery, resource_servers, two_factor};
use crate::http::well_known;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Gatehouse",
        description = "Self-hosted authentication: accounts, tokens, sessions per device, \
            two-factor authentication, password reset and email verification, administration. Errors are RFC 9457 problem details \
            with a stable `code`; 429 answers carry `Retry-After`.",
    ),
    paths(
        auth::login,
        auth::register,
        auth::refresh,
        auth::logout,
        auth::me,
        auth::change_password,
        auth::logout_all,
        auth::sessions,
        auth::revoke_session,
        auth::activity,
        api_tokens::create,
        api_tokens::list,
        api_tokens::revoke,
        recovery::forgot_password,
        recovery::reset_password,
        recovery::verify_email,
        recovery::resend_verification,
        two_factor::setup,
        two_factor::verify_setup,
        two_factor::disable,
        two_factor::backup_codes,
        two_factor::regenerate_backup_codes,
        two_factor::login_with_totp,
        two_factor::login_with_backup_code,
        admin::list_users,
        admin::user_detail,
        admin::set_roles,
        admin::unlock,
        admin::revoke_sessions,
        admin::remove_two_factor,
        admin::audit_log,
        resource_servers::create,
        resource_servers::list,
        resource_servers::revoke,
        introspection::introspect,
        well_known::jwks,
        well_known::openid_configuration,
    ),
    components(schemas(app::auth::FieldError)),
    modifiers(&BearerAuth),
    tags(
        (name = "auth", description = "Account operations (per-IP rate limited)"),
        (name = "recovery", description = "Password reset and email verification (links sent by email)"),
        (name = "two-factor", description = "TOTP two-factor authentication and backup codes"),
        (name = "api-tokens", description = "Personal API tokens for scripts and CI: scoped, expiring, shown once"),
        (name = "admin", description = "Administration (role-based permissions; personal API tokens within their scopes)"),
        (name = "discovery", description = "For services that receive Gatehouse tokens: the public signing keys, provider metadata and introspection"),
    )
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        let mut scheme = Http::new(HttpAuthScheme::Bearer);
        scheme.bearer_format = Some("JWT".into());
        scheme.description = Some(
            "An access token from sign-in. `GET /api/auth/me` and the admin endpoints also take a \
             personal API token (`gatehouse_pat_…`) within its scopes; every other endpoint \
             answers it with 403 `insufficient_scope`."
                .into(),
        );
        components.add_security_scheme("bearer", SecurityScheme::Http(scheme));
        let mut basic = Http::new(HttpAuthScheme::Basic);
        basic.description =
            Some("A resource server's `client_id` and `client_secret` (introspection).".into());
        components.add_security_scheme("basic", SecurityScheme::Http(basic));
    }
}
