//! `/admin/users`: find accounts, set their roles, unlock them, sign out all
//! their devices, remove their 2FA (with the administrator's password). The service checks the permission on every call; a visitor
//! without it gets a 403 page.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::{
    components::{forms::FormError, refusal::Refusal},
    page_error::PageError,
    types::{AdminUser, AdminUserPage},
};

#[server(prefix = "/_fn", endpoint = "admin_users")]
pub async fn admin_users(q: Option<String>) -> Result<AdminUserPage, PageError> {
    use crate::{auth::admin::Actor, page_context as browser};

    browser::respond(
        async move {
            let browser::SignedInAction {
                auth,
                meta,
                principal,
            } = browser::signed_in_action("/admin/users").await?;
            Ok(auth
                .list_users(Actor::User(&principal), q.as_deref(), Some(50), None, &meta)
                .await?)
        }
        .await,
    )
}

/// One checkbox per built-in role; an unchecked box is absent from the form.
#[server(prefix = "/_fn", endpoint = "admin_set_roles")]
pub async fn admin_set_roles(
    user_id: String,
    admin: Option<String>,
    editor: Option<String>,
    viewer: Option<String>,
) -> Result<(), PageError> {
    use crate::{auth::admin::Actor, page_context as browser};

    browser::respond(
        async move {
            let browser::SignedInAction {
                auth,
                meta,
                principal,
            } = browser::signed_in_action("/admin/users").await?;
            let id = account_id(&user_id)?;
            let roles: Vec<String> = [("admin", admin), ("editor", editor), ("viewer", viewer)]
                .into_iter()
                .filter(|(_, checked)| checked.is_some())
                .map(|(role, _)| role.to_string())
                .collect();
            auth.set_roles(Actor::User(&principal), id, &roles, &meta)
                .await?;
            Ok(())
        }
        .await,
    )
}

#[server(prefix = "/_fn", endpoint = "admin_unlock")]
pub async fn admin_unlock(user_id: String) -> Result<(), PageError> {
    use crate::{auth::admin::Actor, page_context as browser};

    browser::respond(
        async move {
            let browser::SignedInAction {
                auth,
                meta,
                principal,
            } = browser::signed_in_action("/admin/users").await?;
            let id = account_id(&user_id)?;
            auth.unlock_user(Actor::User(&principal), id, &meta).await?;
            Ok(())
        }
        .await,
    )
}

#[server(prefix = "/_fn", endpoint = "admin_revoke_sessions")]
pub async fn admin_revoke_sessions(user_id: String) -> Result<u64, PageError> {
    use crate::{auth::admin::Actor, page_context as browser};

    browser::respond(
        async move {
            let browser::SignedInAction {
                auth,
                meta,
                principal,
            } = browser::signed_in_action("/admin/users").await?;
            let id = account_id(&user_id)?;
            Ok(auth
                .revoke_user_sessions(Actor::User(&principal), id, &meta)
                .await?)
        }
        .await,
    )
}

/// Removes an account's 2FA; `password` is the administrator's own.
#[server(prefix = "/_fn", endpoint = "admin_remove_two_factor")]
pub async fn admin_remove_two_factor(user_id: String, password: String) -> Result<(), PageError> {
    use crate::{auth::admin::Actor, page_context as browser};

    browser::respond(
        async move {
            let browser::SignedInAction {
                auth,
                meta,
                principal,
            } = browser::signed_in_action("/admin/users").await?;
            let id = account_id(&user_id)?;
            auth.remove_user_two_factor(Actor::User(&principal), id, &password, &meta)
                .await
                .map_err(crate::page_error::reentered_password("password"))?;
            Ok(())
        }
        .await,
    )
}

/// The account a form names; a malformed id is an account that is not there.
#[cfg(feature = "ssr")]
fn account_id(text: &str) -> Result<crate::auth::UserId, PageError> {
    text.parse()
        .map_err(|_| PageError::new(crate::error_code::ErrorCode::AccountNotFound))
}

#[component]
pub fn AdminUsersPage() -> impl IntoView {
    let query = use_query_map();
    let q = move || query.read().get("q");
    let set_roles = ServerAction::<AdminSetRoles>::new();
    let unlock = ServerAction::<AdminUnlock>::new();
    let revoke = ServerAction::<AdminRevokeSessions>::new();
    let remove_2fa = ServerAction::<AdminRemoveTwoFactor>::new();
    let users = Resource::new(
        move || {
            (
                q(),
                set_roles.version().get(),
                unlock.version().get(),
                revoke.version().get(),
                remove_2fa.version().get(),
            )
        },
        |(q, ..)| admin_users(q),
    );
    let error = Signal::derive(move || {
        set_roles
            .value()
            .get()
            .and_then(Result::err)
            .or_else(|| unlock.value().get().and_then(Result::err))
            .or_else(|| revoke.value().get().and_then(Result::err))
            .or_else(|| remove_2fa.value().get().and_then(Result::err))
    });

    view! {
        <Title text="Users"/>
        <section aria-labelledby="users-title">
            <Suspense fallback=|| view! { <p>"Loading accounts…"</p> }>
                {move || users.get().map(|result| match result {
                    Ok(page) => view! {
                        <h1 id="users-title">"Users"</h1>
                        <form method="get" action="/admin/users" class="search" role="search">
                            <label for="q">"Search by email or username"</label>
                            <input id="q" name="q" type="search" value=q/>
                            <button type="submit">"Search"</button>
                        </form>
                        <FormError error=error/>
                        <p>{format!("{} account(s)", page.total)}</p>
                        <ul class="device-list" data-testid="users">
                            {page.users.into_iter().map(|user| view! {
                                <UserRow user set_roles unlock revoke remove_2fa/>
                            }).collect_view()}
                        </ul>
                    }.into_any(),
                    Err(error) => view! {
                        <h1 id="users-title">"Not allowed"</h1>
                        <Refusal error/>
                    }.into_any(),
                })}
            </Suspense>
        </section>
    }
}

#[component]
fn UserRow(
    user: AdminUser,
    set_roles: ServerAction<AdminSetRoles>,
    unlock: ServerAction<AdminUnlock>,
    revoke: ServerAction<AdminRevokeSessions>,
    remove_2fa: ServerAction<AdminRemoveTwoFactor>,
) -> impl IntoView {
    let profile = user.profile;
    let has = |role: &str| profile.roles.iter().any(|r| r == role);
    let (is_admin, is_editor, is_viewer) = (has("admin"), has("editor"), has("viewer"));
    let locked = user.locked_until.clone();
    let (roles_id, unlock_id, revoke_id) =
        (profile.id.clone(), profile.id.clone(), profile.id.clone());
    let legend = format!("Roles of {}", profile.username);
    let username = profile.username.clone();
    let row_name = profile.username.clone();
    let email = profile.email.clone();
    let remove_2fa_form = profile.totp_enabled.then(|| {
        let field_id = format!("remove-2fa-password-{}", profile.id);
        let label = format!("Your password, to remove the two-factor authentication of {}", profile.username);
        view! {
            <ActionForm action=remove_2fa attr:class="inline-form">
                <input type="hidden" name="user_id" value=profile.id.clone()/>
                <label for=field_id.clone() class="visually-hidden">{label}</label>
                <input id=field_id name="password" type="password" autocomplete="current-password"
                    required placeholder="Your password"/>
                <button type="submit" class="button--danger">"Remove two-factor authentication"</button>
            </ActionForm>
        }
    });
    view! {
        <li class="device" data-username=row_name>
            <div>
                <strong>{username}</strong>
                " " <span class="hint">{email}</span>
                {locked.map(|until| view! { <span class="badge">"Locked until " {until}</span> })}
            </div>
            <ActionForm action=set_roles attr:class="inline-form roles">
                <input type="hidden" name="user_id" value=roles_id/>
                <fieldset>
                    <legend class="visually-hidden">{legend}</legend>
                    <label><input type="checkbox" name="admin" value="on" checked=is_admin/>" admin"</label>
                    <label><input type="checkbox" name="editor" value="on" checked=is_editor/>" editor"</label>
                    <label><input type="checkbox" name="viewer" value="on" checked=is_viewer/>" viewer"</label>
                </fieldset>
                <button type="submit" class="button--secondary">"Save roles"</button>
            </ActionForm>
            <ActionForm action=unlock attr:class="inline-form">
                <input type="hidden" name="user_id" value=unlock_id/>
                <button type="submit" class="button--secondary">"Unlock"</button>
            </ActionForm>
            <ActionForm action=revoke attr:class="inline-form">
                <input type="hidden" name="user_id" value=revoke_id/>
                <button type="submit" class="button--secondary">"Sign out all devices"</button>
            </ActionForm>
            {remove_2fa_form}
        </li>
    }
}
