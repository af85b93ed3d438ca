//! The site frame: header with the product name and navigation, and footer.

use leptos::prelude::*;
use leptos_router::components::A;

/// The navigation entries, in order. One list, so every menu agrees.
const NAV_LINKS: &[(&str, &str)] = &[
    ("/", "Home"),
    ("/account", "Account"),
    ("/login", "Sign in"),
    ("/register", "Create account"),
];

#[component]
pub fn SiteHeader() -> impl IntoView {
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
                    <ul>
                        {NAV_LINKS
                            .iter()
                            .map(|(href, label)| {
                                view! {
                                    <li>
                                        <A href=*href>{*label}</A>
                                    </li>
                                }
                            })
                            .collect_view()}
                    </ul>
                </nav>
            </div>
        </header>
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
