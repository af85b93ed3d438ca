use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn HomePage() -> impl IntoView {
    view! {
        <Title text=""/>
        <section class="hero">
            <h1>"Gatehouse"</h1>
            <p class="lead">
                "Self-hosted sign-in and account security: strong passwords, "
                "two-factor authentication with backup codes, and a view of every "
                "device that is signed in to your account."
            </p>
        </section>
        <section class="features" aria-labelledby="features-title">
            <h2 id="features-title">"What it does"</h2>
            <ul class="feature-list">
                <li>
                    <h3>"Passwords done right"</h3>
                    <p>"Argon2id hashing, a strong policy and lockout after repeated failures."</p>
                </li>
                <li>
                    <h3>"Two-factor authentication"</h3>
                    <p>"Any authenticator app, plus single-use backup codes for a lost phone."</p>
                </li>
                <li>
                    <h3>"Your devices"</h3>
                    <p>"See where you are signed in and sign out any device at once."</p>
                </li>
                <li>
                    <h3>"An audit trail"</h3>
                    <p>"Every security event is recorded with when and where it happened."</p>
                </li>
            </ul>
        </section>
    }
}
