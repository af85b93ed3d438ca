//! The HTML shell and the root component with the route table.

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Stylesheet, Title};
use leptos_router::{
    components::{Route, Router, Routes},
    lazy_route, path, Lazy, LazyRoute, SsrMode,
};

use crate::components::layout::{SiteFooter, SiteHeader};
use crate::pages::{
    account::AccountPage, activity::ActivityPage, admin_users::AdminUsersPage,
    api_tokens::ApiTokensPage, dev_mailbox::DevMailboxPage, forgot_password::ForgotPasswordPage,
    home::HomePage, login::LoginPage, login_two_factor::LoginTwoFactorPage, not_found::NotFound,
    password::PasswordPage, register::RegisterPage, reset_password::ResetPasswordPage,
    sessions::SessionsPage, two_factor::TwoFactorPage, verify_email::VerifyEmailPage,
};

/// The document around every server-rendered page.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    crate::security::set_page_content_security_policy();

    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <meta name="color-scheme" content="light dark"/>
                <link rel="icon" type="image/svg+xml" href="/favicon.svg"/>
                <AutoReload options=options.clone()/>
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

/// Makes a page a lazy route: with `cargo leptos build --split` its code
/// goes into its own wasm chunks, fetched the first time the page is shown
/// (a server render of the page preloads them), so the main bundle holds
/// only the shell and the entry pages. docs/BENCHMARKS.md has the sizes.
macro_rules! lazy_page {
    ($($route:ident => $page:ident),* $(,)?) => {$(
        struct $route;

        #[lazy_route]
        impl LazyRoute for $route {
            fn data() -> Self {
                Self
            }

            fn view(_this: Self) -> AnyView {
                view! { <$page/> }.into_any()
            }
        }
    )*};
}

// `/` and `/login` (where most visits start) and the 404 stay in the main
// bundle; every other page is loaded on first use.
lazy_page! {
    LoginTwoFactorRoute => LoginTwoFactorPage,
    RegisterRoute => RegisterPage,
    ForgotPasswordRoute => ForgotPasswordPage,
    ResetPasswordRoute => ResetPasswordPage,
    VerifyEmailRoute => VerifyEmailPage,
    DevMailboxRoute => DevMailboxPage,
    AccountRoute => AccountPage,
    SessionsRoute => SessionsPage,
    PasswordRoute => PasswordPage,
    TwoFactorRoute => TwoFactorPage,
    ActivityRoute => ActivityPage,
    ApiTokensRoute => ApiTokensPage,
    AdminUsersRoute => AdminUsersPage,
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();

    // Effects run only in the browser, after hydration: mark the document so
    // styles (and the browser tests) can tell a hydrated page from a plain one.
    Effect::new(|| {
        if let Some(root) = document().document_element() {
            let _ = root.set_attribute("data-hydrated", "true");
        }
    });

    view! {
        <Stylesheet id="leptos" href="/pkg/gatehouse.css"/>
        <Title formatter=|page: String| {
            if page.is_empty() { "Gatehouse".to_string() } else { format!("{page} · Gatehouse") }
        }/>
        <Router>
            <a class="skip-link" href="#main">"Skip to content"</a>
            <SiteHeader/>
            <main id="main" class="site-main" tabindex="-1">
                // Every page is rendered whole (SsrMode::Async): it works
                // without JavaScript (out-of-order streaming needs a script
                // to put late parts in place), an account page can answer a
                // signed-out visitor with a real 302, and nothing moves when
                // the page hydrates.
                <Routes fallback=NotFound>
                    <Route path=path!("/") view=HomePage ssr=SsrMode::Async/>
                    <Route path=path!("/login") view=LoginPage ssr=SsrMode::Async/>
                    <Route path=path!("/login/2fa") view={Lazy::<LoginTwoFactorRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/register") view={Lazy::<RegisterRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/forgot-password") view={Lazy::<ForgotPasswordRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/reset-password") view={Lazy::<ResetPasswordRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/verify-email") view={Lazy::<VerifyEmailRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/dev/mailbox") view={Lazy::<DevMailboxRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/account") view={Lazy::<AccountRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/account/sessions") view={Lazy::<SessionsRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/account/password") view={Lazy::<PasswordRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/account/2fa") view={Lazy::<TwoFactorRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/account/activity") view={Lazy::<ActivityRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/account/tokens") view={Lazy::<ApiTokensRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/admin/users") view={Lazy::<AdminUsersRoute>::new()} ssr=SsrMode::Async/>
                </Routes>
            </main>
            <SiteFooter/>
        </Router>
    }
}
