//! The site frame: header with the product name, navigation that knows who
//! is signed in, and footer.

use leptos::prelude::*;
use leptos_router::{components::A, hooks::use_location};
use serde::{Deserialize, Serialize};

use crate::page_error::PageError;

/// Who the header greets: enough to choose the navigation, nothing more.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedInVisitor {
    pub username: String,
    pub can_manage_users: bool,
}

#[server(prefix = "/_fn", endpoint = "visitor")]
pub async fn visitor() -> Result<Option<SignedInVisitor>, PageError> {
    use crate::{auth::permissions::USERS_READ, page_context as browser};

    browser::respond(
        async move {
            let auth = browser::auth()?;
            let Some(principal) = browser::current_principal(&auth).await? else {
                return Ok(None);
            };
            Ok(Some(SignedInVisitor {
                can_manage_users: auth.has_permission(principal.user_id, USERS_READ).await?,
                username: principal.account.username,
            }))
        }
        .await,
    )
}

/// The header's "Sign out": ends this device's session.
#[server(prefix = "/_fn", endpoint = "sign_out")]
pub async fn sign_out() -> Result<(), PageError> {
    use crate::page_context as browser;

    browser::respond(
        async move {
            let auth = browser::auth()?;
            let meta = browser::request_meta(&auth).await?;
            if let Some(principal) = browser::current_principal(&auth).await? {
                auth.logout(&principal, &meta).await?;
            }
            browser::forget().await?;
            leptos_axum::redirect("/login");
            Ok(())
        }
        .await,
    )
}

/// Navigation for a signed-out visitor, in order.
const SIGNED_OUT_LINKS: &[(&str, &str)] = &[
    ("/", "Home"),
    ("/login", "Sign in"),
    ("/register", "Create account"),
];

#[component]
pub fn SiteHeader() -> impl IntoView {
    // Asked again after each navigation: signing in or out navigates.
    let location = use_location();
    let visitor = Resource::new(move || location.pathname.get(), |_| visitor());
    let sign_out = ServerAction::<SignOut>::new();

    view! {
        <header class="site-header">
            <div class="site-header__inner">
                <A href="/" attr:class="brand">
                    <span class="brand__mark" aria-hidden="true"></span>
                    <span class="brand__name">"Gatehouse"</span>
                </A>
                // Few entries: they wrap on narrow screens rather than hide
                // behind a menu button, so they work before hydration too.
                <nav class="site-nav" aria-label="Main">
                    <Suspense>
                        {move || visitor.get().map(|visitor| match visitor.ok().flatten() {
                            Some(visitor) => view! { <SignedInNav visitor sign_out/> }.into_any(),
                            None => view! { <NavList links=SIGNED_OUT_LINKS.to_vec()/> }.into_any(),
                        })}
                    </Suspense>
                </nav>
            </div>
        </header>
    }
}

#[component]
fn NavList(links: Vec<(&'static str, &'static str)>) -> impl IntoView {
    view! {
        <ul>
            {links
                .into_iter()
                .map(|(href, label)| view! { <li><A href=href>{label}</A></li> })
                .collect_view()}
        </ul>
    }
}

#[component]
fn SignedInNav(visitor: SignedInVisitor, sign_out: ServerAction<SignOut>) -> impl IntoView {
    let mut links = vec![("/", "Home"), ("/account", "Account")];
    if visitor.can_manage_users {
        links.push(("/admin/users", "Users"));
    }
    view! {
        <NavList links/>
        <span class="site-nav__user" data-testid="signed-in-as">{visitor.username}</span>
        <ActionForm action=sign_out attr:class="inline-form">
            <button type="submit" class="button--link">"Sign out"</button>
        </ActionForm>
    }
}

#[component]
pub fn SiteFooter() -> impl IntoView {
    view! {
        <footer class="site-footer">
            <p>
                "Gatehouse — self-hosted sign-in and account security · "
                <span class="site-footer__version">"v" {env!("CARGO_PKG_VERSION")}</span>
            </p>
        </footer>
    }
}
