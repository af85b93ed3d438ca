//! `/account/tokens`: personal API tokens for scripts and CI. Make one (a
//! name, an expiry, scopes from what you may do, and your password if you
//! signed in a while ago), copy it the one time it is shown, see when each
//! was last used, and revoke any.
//!
//! Every step is a plain form post that works without JavaScript; a new
//! token waits, sealed, in the cookie session until the next render shows
//! it (`page_context::shown_once`).

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use serde::{Deserialize, Serialize};

use crate::{
    components::{
        copy_button::CopyButton,
        forms::{FieldError, FormError, ReauthenticationField},
    },
    page_error::PageError,
    types::ApiTokenInfo,
};

const HERE: &str = "/account/tokens";

/// The lifetimes offered, in days; those above `API_TOKEN_MAX_DAYS` are
/// left out and the maximum itself is always offered.
const LIFETIMES: [u32; 4] = [7, 30, 90, 365];

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ApiTokensState {
    pub tokens: Vec<ApiTokenInfo>,
    /// What a new token may be given: `profile:read` and the permissions
    /// this account holds.
    pub grantable_scopes: Vec<String>,
    pub max_days: u32,
    /// Making a token needs the current password: this session signed in
    /// too long ago.
    pub needs_password: bool,
    /// A token made just now: this is the one time it is shown.
    pub new_token: Option<String>,
}

#[server(prefix = "/_fn", endpoint = "api_token_settings")]
pub async fn api_token_settings() -> Result<ApiTokensState, PageError> {
    use crate::page_context::{self as browser, shown_once};

    browser::respond(
        async move {
            let auth = browser::auth()?;
            let principal = browser::signed_in_or_redirect(&auth, HERE).await?;
            let max_days = auth.policies().api_token_max_lifetime.num_days();
            Ok(ApiTokensState {
                tokens: auth.list_api_tokens(&principal).await?,
                grantable_scopes: auth.grantable_scopes(principal.user_id).await?,
                max_days: u32::try_from(max_days).unwrap_or(u32::MAX),
                needs_password: !auth.signed_in_recently(&principal),
                new_token: shown_once::take_api_token(&auth, &principal).await?,
            })
        }
        .await,
    )
}

/// `scopes`: one checkbox each (`scopes[]`), absent when none is ticked.
/// `password`: asked for when the session signed in too long ago.
#[server(prefix = "/_fn", endpoint = "create_api_token")]
pub async fn create_my_api_token(
    name: String,
    expires_in_days: u32,
    scopes: Option<Vec<String>>,
    password: Option<String>,
) -> Result<(), PageError> {
    use crate::{
        auth::api_tokens::CreateApiTokenInput,
        page_context::{self as browser, shown_once},
    };

    browser::respond(
        async move {
            let browser::SignedInAction {
                auth,
                meta,
                principal,
            } = browser::signed_in_action(HERE).await?;
            let scopes = scopes.unwrap_or_default();
            let input = CreateApiTokenInput {
                name: &name,
                expires_in_days,
                scopes: &scopes,
                password: password.as_deref(),
            };
            let created = auth
                .create_api_token(&principal, input, &meta)
                .await
                .map_err(crate::page_error::reentered_password("password"))?;
            shown_once::keep_api_token(&auth, &principal, &created.token).await
        }
        .await,
    )
}

#[server(prefix = "/_fn", endpoint = "revoke_api_token")]
pub async fn revoke_my_api_token(id: String) -> Result<(), PageError> {
    use crate::{error_code::ErrorCode, page_context as browser};

    browser::respond(
        async move {
            let browser::SignedInAction {
                auth,
                meta,
                principal,
            } = browser::signed_in_action(HERE).await?;
            let id = id
                .parse()
                .map_err(|_| PageError::new(ErrorCode::NotFound))?;
            auth.revoke_api_token(&principal, id, &meta).await?;
            Ok(())
        }
        .await,
    )
}

#[component]
pub fn ApiTokensPage() -> impl IntoView {
    let create = ServerAction::<CreateMyApiToken>::new();
    let revoke = ServerAction::<RevokeMyApiToken>::new();
    let settings = Resource::new(
        move || (create.version().get(), revoke.version().get()),
        |_| api_token_settings(),
    );

    view! {
        <Title text="API tokens"/>
        <section class="settings" aria-labelledby="api-tokens-title">
            <h1 id="api-tokens-title">"API tokens"</h1>
            <p>
                "A personal API token lets a script or a CI job call the Gatehouse API as you, \
                 with only the scopes you give it. Send it as "
                <code>"Authorization: Bearer <token>"</code>
                ". It cannot change your password, 2FA, devices or tokens."
            </p>
            <Suspense fallback=|| view! { <p>"Loading…"</p> }>
                {move || settings.get().map(|result| match result {
                    Ok(settings) => view! { <Settings settings create revoke/> }.into_any(),
                    Err(error) => view! { <p class="form-error" role="alert">{error.message}</p> }.into_any(),
                })}
            </Suspense>
            <p><A href="/account">"Back to your account"</A></p>
        </section>
    }
}

#[component]
fn Settings(
    settings: ApiTokensState,
    create: ServerAction<CreateMyApiToken>,
    revoke: ServerAction<RevokeMyApiToken>,
) -> impl IntoView {
    if let Some(token) = settings.new_token {
        return view! { <NewToken token/> }.into_any();
    }
    let revoke_error = Signal::derive(move || revoke.value().get().and_then(Result::err));
    view! {
        <CreateForm
            scopes=settings.grantable_scopes
            max_days=settings.max_days
            needs_password=settings.needs_password
            create
        />
        <h2>"Your tokens"</h2>
        <FormError error=revoke_error/>
        {if settings.tokens.is_empty() {
            view! { <p data-testid="api-tokens-empty">"You have no API tokens."</p> }.into_any()
        } else {
            view! {
                <ul class="device-list" data-testid="api-tokens">
                    {settings.tokens.into_iter().map(|token| view! { <Token token revoke/> }).collect_view()}
                </ul>
            }.into_any()
        }}
    }
    .into_any()
}

#[component]
fn CreateForm(
    scopes: Vec<String>,
    max_days: u32,
    needs_password: bool,
    create: ServerAction<CreateMyApiToken>,
) -> impl IntoView {
    let error = Signal::derive(move || create.value().get().and_then(Result::err));
    let pending = create.pending();
    let mut lifetimes: Vec<u32> = LIFETIMES.into_iter().filter(|d| *d < max_days).collect();
    lifetimes.push(max_days);
    let default_days = lifetimes
        .iter()
        .copied()
        .find(|d| *d >= 30)
        .unwrap_or(max_days);
    view! {
        <h2>"Make a token"</h2>
        <ActionForm action=create attr:class="form">
            <FormError error=error/>
            <div class="field">
                <label for="token-name">"Name"</label>
                <p class="hint" id="token-name-hint">"What it is for, e.g. “CI deploy”."</p>
                <input id="token-name" name="name" type="text" required maxlength="64"
                    autocomplete="off" aria-describedby="token-name-hint name-error"/>
                <FieldError error=error field="name"/>
            </div>
            <div class="field">
                <label for="token-expiry">"Expires after"</label>
                <select id="token-expiry" name="expires_in_days" aria-describedby="expires_in_days-error">
                    {lifetimes.into_iter().map(|days| view! {
                        <option value=days.to_string() selected=days == default_days>
                            {format!("{days} days")}
                        </option>
                    }).collect_view()}
                </select>
                <FieldError error=error field="expires_in_days"/>
            </div>
            <fieldset class="field" aria-describedby="scopes-error">
                <legend>"What it may do"</legend>
                {scopes.into_iter().map(|scope| {
                    let checked = scope == "profile:read";
                    let description = scope_description(&scope);
                    view! {
                        <label class="checkbox">
                            <input type="checkbox" name="scopes[]" value=scope.clone() checked=checked/>
                            " " <code>{scope}</code> " — " {description}
                        </label>
                    }
                }).collect_view()}
                <FieldError error=error field="scopes"/>
            </fieldset>
            {needs_password.then(|| view! { <ReauthenticationField error id="token-password"/> })}
            <button type="submit" aria-disabled=move || pending.get().to_string()>
                {move || if pending.get() { "Making…" } else { "Make token" }}
            </button>
        </ActionForm>
    }
}

/// What a scope lets a token do, in words.
fn scope_description(scope: &str) -> &'static str {
    match scope {
        "profile:read" => "read your profile",
        "users:read" => "list and view accounts",
        "users:write" => "change accounts: roles, lock, disable, 2FA",
        "audit:read" => "read the audit log",
        "resource_servers:write" => "register and revoke resource servers",
        "content:read" => "read content",
        "content:write" => "change content",
        "account:read" => "read account data",
        _ => "a permission you hold",
    }
}

#[component]
fn NewToken(token: String) -> impl IntoView {
    let text = token.clone();
    view! {
        <div class="backup-codes" role="region" aria-labelledby="new-token-title">
            <h2 id="new-token-title">"Copy your new token"</h2>
            <p class="notice" role="status">
                "This is the only time it is shown. Store it where your script or CI keeps secrets; \
                 if you lose it, revoke it and make another."
            </p>
            <p><code class="secret" data-testid="new-api-token">{token}</code></p>
            <p class="actions"><CopyButton text/></p>
            // A full page load: the token is gone from the next render.
            <p><a href=HERE rel="external">"I have saved it"</a></p>
        </div>
    }
}

#[component]
fn Token(token: ApiTokenInfo, revoke: ServerAction<RevokeMyApiToken>) -> impl IntoView {
    let last_used = match (token.last_used_at, token.last_used_ip) {
        (Some(at), Some(ip)) => format!("last used {at} from {ip}"),
        (Some(at), None) => format!("last used {at}"),
        _ => "never used".into(),
    };
    let expiry = if token.expired {
        format!("expired {}", token.expires_at)
    } else {
        format!("expires {}", token.expires_at)
    };
    let label = format!("Revoke {}", token.name);
    view! {
        <li class="device" data-testid="api-token">
            <div>
                <strong>{token.name}</strong>
                " " <code class="hint">{format!("…{}", token.hint)}</code>
                {token.expired.then(|| view! { <span class="badge">"Expired"</span> })}
                <p class="hint">{token.scopes.join(", ")}</p>
                <p class="hint">{format!("created {} · {expiry} · {last_used}", token.created_at)}</p>
            </div>
            <ActionForm action=revoke attr:class="inline-form">
                <input type="hidden" name="id" value=token.id/>
                <button type="submit" class="button--secondary" aria-label=label>"Revoke"</button>
            </ActionForm>
        </li>
    }
}
