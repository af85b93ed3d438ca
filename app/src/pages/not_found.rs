use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

/// Shown for any path no route matches; the server answers it with 404.
#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(http::StatusCode::NOT_FOUND);
    }

    view! {
        <Title text="Page not found"/>
        <section class="error-page">
            <p class="error-page__status">"404"</p>
            <h1>"Page not found"</h1>
            <p>"The address may be mistyped, or the page may have moved."</p>
            <p>
                <A href="/" attr:class="button">"Go to the home page"</A>
            </p>
        </section>
    }
}
