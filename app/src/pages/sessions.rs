//! `/account/sessions`: every signed-in device with where and when it was
//! last used; end any other one, or all of them but this one.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::{
    components::forms::FormError, page_error::PageError, types::SessionInfo,
    user_agent::browser_name,
};

#[server(prefix = "/_fn", endpoint = "my_sessions")]
pub async fn my_sessions() -> Result<Vec<SessionInfo>, PageError> {
    use crate::page_context as browser;

    browser::respond(
        async move {
            let auth = browser::auth()?;
            let principal = browser::signed_in_or_redirect(&auth, "/account/sessions").await?;
            Ok(auth.list_sessions(&principal).await?)
        }
        .await,
    )
}

#[server(prefix = "/_fn", endpoint = "revoke_device")]
pub async fn revoke_device(id: String) -> Result<(), PageError> {
    use crate::{error_code::ErrorCode, page_context as browser};

    browser::respond(
        async move {
            let browser::SignedInAction {
                auth,
                meta,
                principal,
            } = browser::signed_in_action("/account/sessions").await?;
            let id = id
                .parse()
                .map_err(|_| PageError::new(ErrorCode::DeviceNotFound))?;
            auth.revoke_session(&principal, id, &meta).await?;
            Ok(())
        }
        .await,
    )
}

#[server(prefix = "/_fn", endpoint = "sign_out_other_devices")]
pub async fn sign_out_other_devices() -> Result<u64, PageError> {
    use crate::page_context as browser;

    browser::respond(
        async move {
            let browser::SignedInAction {
                auth,
                meta,
                principal,
            } = browser::signed_in_action("/account/sessions").await?;
            Ok(auth.logout_others(&principal, &meta).await?)
        }
        .await,
    )
}

#[component]
pub fn SessionsPage() -> impl IntoView {
    let revoke = ServerAction::<RevokeDevice>::new();
    let others = ServerAction::<SignOutOtherDevices>::new();
    let sessions = Resource::new(
        move || (revoke.version().get(), others.version().get()),
        |_| my_sessions(),
    );
    let error = Signal::derive(move || {
        revoke
            .value()
            .get()
            .and_then(Result::err)
            .or_else(|| others.value().get().and_then(Result::err))
    });

    view! {
        <Title text="Signed-in devices"/>
        <section aria-labelledby="sessions-title">
            <h1 id="sessions-title">"Signed-in devices"</h1>
            <p>"These devices are signed in to your account. End any you do not recognise."</p>
            <FormError error=error/>
            <Suspense fallback=|| view! { <p>"Loading your devices…"</p> }>
                {move || sessions.get().map(|result| match result {
                    Ok(list) => view! {
                        <ul class="device-list" data-testid="devices">
                            {list.into_iter().map(|session| view! { <Device session revoke/> }).collect_view()}
                        </ul>
                    }.into_any(),
                    Err(error) => view! { <p class="form-error" role="alert">{error.message}</p> }.into_any(),
                })}
            </Suspense>
            <ActionForm action=others attr:class="inline-form">
                <button type="submit" class="button--secondary">"Sign out everywhere else"</button>
            </ActionForm>
        </section>
    }
}

#[component]
fn Device(session: SessionInfo, revoke: ServerAction<RevokeDevice>) -> impl IntoView {
    let name = session
        .device_name
        .clone()
        .or_else(|| session.user_agent.as_deref().map(browser_name))
        .unwrap_or_else(|| "Unknown device".into());
    let current = session.current;
    let id = session.id.clone();
    view! {
        <li class="device" class:device--current=current>
            <div>
                <strong>{name}</strong>
                {current.then(|| view! { <span class="badge">"This device"</span> })}
                <p class="hint">
                    {session.ip_address.unwrap_or_else(|| "unknown address".into())}
                    " · last active " <time>{session.last_activity}</time>
                </p>
            </div>
            {(!current).then(|| view! {
                <ActionForm action=revoke attr:class="inline-form">
                    <input type="hidden" name="id" value=id/>
                    <button type="submit" class="button--secondary">"Sign out this device"</button>
                </ActionForm>
            })}
        </li>
    }
}
