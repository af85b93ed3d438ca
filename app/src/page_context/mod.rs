//! What server functions need from the request: the service, who is asking
//! (`RequestMeta`, read as the JSON API reads it), and the browser's cookie
//! session, which names the `sessions` row of the signed-in device.

use std::net::SocketAddr;

use axum::extract::ConnectInfo;
use leptos::prelude::use_context;
use serde::{Deserialize, Serialize};
use tower_sessions::Session;

use crate::{
    auth::{limits::Door, AuthService, OpenedSession, Principal, RequestMeta, SessionId, UserId},
    error_code::ErrorCode,
    page_error::PageError,
};

pub mod redirect;
pub mod shown_once;

pub use redirect::safe_next;

const SIGNED_IN: &str = "signed_in";
const CHALLENGE: &str = "two_factor_challenge";

#[derive(Debug, Clone, Serialize, Deserialize)]
struct SignedIn {
    session_id: SessionId,
    user_id: UserId,
}

pub(crate) fn internal(error: impl std::fmt::Display) -> PageError {
    tracing::error!(%error, "browser session");
    PageError::new(ErrorCode::InternalError)
}

pub fn auth() -> Result<AuthService, PageError> {
    use_context::<AuthService>().ok_or_else(|| internal("no AuthService in context"))
}

pub(crate) async fn cookie_session() -> Result<Session, PageError> {
    leptos_axum::extract::<Session>().await.map_err(internal)
}

/// Who is asking: client IP (through trusted proxies), user agent, request id.
pub async fn request_meta(auth: &AuthService) -> Result<RequestMeta, PageError> {
    let parts: http::request::Parts = use_context().ok_or_else(|| internal("no request parts"))?;
    let peer = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(address)| address.ip());
    Ok(RequestMeta::from_http(
        peer,
        &parts.headers,
        &auth.config().trusted_proxies,
    ))
}

/// Who is asking, for a server function anyone may call (sign-in, the 2FA
/// step, registration, recovery): `Door::Public`, whose per-IP budget
/// `/api/auth/*` spends too, one budget per client whichever transport.
pub async fn public_request_meta(auth: &AuthService) -> Result<RequestMeta, PageError> {
    let meta = request_meta(auth).await?;
    auth.limits().admit_ip(Door::Public, meta.ip).await?;
    Ok(meta)
}

/// After a successful sign-in: a new cookie session id (so a session id
/// planted before sign-in is worthless) that names the new device session.
pub async fn establish(session: &OpenedSession) -> Result<(), PageError> {
    let cookie = cookie_session().await?;
    cookie.remove_value(CHALLENGE).await.map_err(internal)?;
    cookie.cycle_id().await.map_err(internal)?;
    let signed_in = SignedIn {
        session_id: session.id,
        user_id: session.user_id,
    };
    cookie.insert(SIGNED_IN, signed_in).await.map_err(internal)
}

/// The signed-in user of one request, looked up once: while a page renders,
/// the header and the page both ask. The server provides a fresh one in the
/// context of every request.
#[derive(Clone, Default)]
pub struct PrincipalOnce(std::sync::Arc<tokio::sync::OnceCell<Option<Principal>>>);

/// The signed-in user, if the cookie names a session that is still active;
/// a revoked or expired one is forgotten.
pub async fn current_principal(auth: &AuthService) -> Result<Option<Principal>, PageError> {
    match use_context::<PrincipalOnce>() {
        Some(once) => once
            .0
            .get_or_try_init(|| look_up_principal(auth))
            .await
            .cloned(),
        None => look_up_principal(auth).await,
    }
}

/// Whoever reads the cookie session comes through `Door::SignedIn`: its
/// per-IP budget is spent here, before any lookup, and the account's budget
/// by the service when the session is authenticated.
async fn look_up_principal(auth: &AuthService) -> Result<Option<Principal>, PageError> {
    let meta = request_meta(auth).await?;
    auth.limits().admit_ip(Door::SignedIn, meta.ip).await?;
    let cookie = cookie_session().await?;
    let Some(signed_in) = cookie.get::<SignedIn>(SIGNED_IN).await.map_err(internal)? else {
        return Ok(None);
    };
    match auth
        .authenticate_browser(signed_in.session_id, signed_in.user_id)
        .await
    {
        Ok(principal) => Ok(Some(principal)),
        Err(crate::auth::AuthError::InvalidToken) => {
            cookie.flush().await.map_err(internal)?;
            Ok(None)
        }
        Err(error) => Err(error.into()),
    }
}

/// The signed-in user, or the "signed out" error pages turn into a redirect.
pub async fn require_principal(auth: &AuthService) -> Result<Principal, PageError> {
    current_principal(auth)
        .await?
        .ok_or_else(|| PageError::new(ErrorCode::Unauthenticated))
}

/// Keeps the pending 2FA challenge of a sign-in in the cookie session.
pub async fn keep_challenge(token: &str) -> Result<(), PageError> {
    let cookie = cookie_session().await?;
    cookie.cycle_id().await.map_err(internal)?;
    cookie.insert(CHALLENGE, token).await.map_err(internal)
}

pub async fn pending_challenge() -> Result<Option<String>, PageError> {
    cookie_session()
        .await?
        .get::<String>(CHALLENGE)
        .await
        .map_err(internal)
}

/// Forgets everything the cookie session held.
pub async fn forget() -> Result<(), PageError> {
    cookie_session().await?.flush().await.map_err(internal)
}

/// The HTTP status of a failed server function. Leptos answers every error
/// with 500 unless told otherwise, and a 500 means a bug here: a wrong
/// password is a 401, a lockout a 429. A plain HTML form post (no
/// JavaScript) keeps the redirect back to its form that Leptos gives it, and
/// a "signed out" answer keeps its redirect to the sign-in page.
pub fn respond<T>(result: Result<T, PageError>) -> Result<T, PageError> {
    use http::{header::ACCEPT, StatusCode};
    use leptos_axum::ResponseOptions;

    let Err(error) = &result else {
        return result;
    };
    let plain_form = use_context::<http::request::Parts>().is_some_and(|parts| {
        parts
            .headers
            .get(ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|accept| accept.contains("text/html"))
    });
    if plain_form || error.is_signed_out() {
        return result;
    }
    let status = StatusCode::from_u16(error.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    if let Some(response) = use_context::<ResponseOptions>() {
        response.set_status(status);
        if let Some(seconds) = error.retry_after {
            response.insert_header(http::header::RETRY_AFTER, http::HeaderValue::from(seconds));
        }
    }
    result
}

/// The signed-in user, or a redirect to sign in and come back to `here`.
/// What a signed-in page action starts from: the service, who is asking,
/// and the signed-in user.
pub struct SignedInAction {
    pub auth: AuthService,
    pub meta: RequestMeta,
    pub principal: Principal,
}

/// The start of every action of a signed-in page at `here`: a visitor whose
/// session ended is sent to sign in and back.
pub async fn signed_in_action(here: &str) -> Result<SignedInAction, PageError> {
    let auth = auth()?;
    let meta = request_meta(&auth).await?;
    let principal = signed_in_or_redirect(&auth, here).await?;
    Ok(SignedInAction {
        auth,
        meta,
        principal,
    })
}

pub async fn signed_in_or_redirect(auth: &AuthService, here: &str) -> Result<Principal, PageError> {
    match current_principal(auth).await? {
        Some(principal) => Ok(principal),
        None => {
            leptos_axum::redirect(&format!(
                "/login?next={}",
                crate::url_path::encode_query_value(here)
            ));
            Err(PageError::new(ErrorCode::Unauthenticated))
        }
    }
}
