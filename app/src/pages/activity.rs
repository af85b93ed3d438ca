//! `/account/activity`: the user's own security events from the audit log,
//! newest first, with a link to older ones (works without JavaScript).

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::{components::A, hooks::use_query_map};

use crate::{page_error::PageError, types::ActivityPage as Events};

#[server(prefix = "/_fn", endpoint = "my_activity")]
pub async fn my_activity(before: Option<i64>) -> Result<Events, PageError> {
    use crate::page_context as browser;

    browser::respond(
        async move {
            let auth = browser::auth()?;
            let principal = browser::signed_in_or_redirect(&auth, "/account/activity").await?;
            Ok(auth.activity(&principal, Some(25), before).await?)
        }
        .await,
    )
}

#[component]
pub fn ActivityPage() -> impl IntoView {
    let query = use_query_map();
    let before = move || {
        query
            .read()
            .get("before")
            .and_then(|b| b.parse::<i64>().ok())
    };
    let events = Resource::new(before, my_activity);

    view! {
        <Title text="Security activity"/>
        <section aria-labelledby="activity-title">
            <h1 id="activity-title">"Security activity"</h1>
            <p>"Sign-ins, password changes and other security events on your account."</p>
            <Suspense fallback=|| view! { <p>"Loading your activity…"</p> }>
                {move || events.get().map(|result| match result {
                    Ok(page) => view! {
                        <ol class="event-list" data-testid="events">
                            {page.events.into_iter().map(|event| view! {
                                <li class="event">
                                    <strong>{describe(&event.action)}</strong>
                                    <p class="hint">
                                        <time>{event.created_at}</time>
                                        " · " {event.ip_address.unwrap_or_else(|| "unknown address".into())}
                                    </p>
                                </li>
                            }).collect_view()}
                        </ol>
                        {page.next_before.map(|id| view! {
                            <A href=format!("/account/activity?before={id}")>"Older events"</A>
                        })}
                    }.into_any(),
                    Err(error) => view! { <p class="form-error" role="alert">{error.message}</p> }.into_any(),
                })}
            </Suspense>
        </section>
    }
}

/// A sentence for an audit action; unknown actions show as they are stored.
fn describe(action: &str) -> String {
    match action {
        "user_registered" => "Account created",
        "login_succeeded" => "Signed in",
        "login_failed" => "Failed sign-in attempt",
        "account_locked" => "Account locked after failed sign-ins",
        "account_unlocked" => "Account unlocked by an administrator",
        "logout" => "Signed out",
        "logout_all" => "Signed out other devices",
        "session_revoked" => "A device was signed out",
        "sessions_revoked_by_admin" => "All devices signed out by an administrator",
        "refresh_token_reused" => "A stolen sign-in token was refused and its device signed out",
        "password_changed" => "Password changed",
        "password_rehashed" => "Password storage upgraded",
        "role_changed" => "Roles changed",
        "permission_denied" => "An action was refused for lack of permission",
        "two_factor_enabled" => "Two-factor authentication turned on",
        "two_factor_disabled" => "Two-factor authentication turned off",
        "two_factor_removed_by_admin" => "Two-factor authentication removed by an administrator",
        "two_factor_challenge_failed" => "Wrong two-factor code",
        "two_factor_locked" => "Two-factor verification locked after wrong codes",
        "two_factor_code_replayed" => "A used two-factor code was refused",
        "backup_code_used" => "Backup code used",
        "backup_codes_regenerated" => "New backup codes made",
        other => other,
    }
    .to_string()
}
