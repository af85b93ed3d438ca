//! `/dev/mailbox`: the development mailbox, where the emails Gatehouse sends
//! land when no SMTP server is configured. Only with
//! `ENVIRONMENT=development` and for a client on this machine (loopback);
//! otherwise the page is a 404.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::{components::refusal::Refusal, page_error::PageError, types::MailboxMessage};

#[server(prefix = "/_fn", endpoint = "dev_mailbox")]
pub async fn dev_mailbox_messages() -> Result<Vec<MailboxMessage>, PageError> {
    use crate::page_context as browser;

    browser::respond(
        async move {
            let auth = browser::auth()?;
            let meta = browser::request_meta(&auth).await?;
            Ok(auth.dev_mailbox_for(&meta, Some(50)).await?)
        }
        .await,
    )
}

#[component]
pub fn DevMailboxPage() -> impl IntoView {
    let messages = Resource::new(|| (), |_| dev_mailbox_messages());
    view! {
        <Title text="Development mailbox"/>
        <section aria-labelledby="mailbox-title">
            <h1 id="mailbox-title">"Development mailbox"</h1>
            <p class="hint">
                "Emails sent while no SMTP server is configured, newest first. \
                 This page exists only in development."
            </p>
            <Suspense fallback=|| view! { <p>"Loading…"</p> }>
                {move || messages.get().map(|result| match result {
                    Ok(list) if list.is_empty() => view! { <p>"No emails yet."</p> }.into_any(),
                    Ok(list) => view! {
                        <ol class="mailbox" data-testid="mailbox">
                            {list.into_iter().map(|message| view! { <Message message/> }).collect_view()}
                        </ol>
                    }.into_any(),
                    Err(error) => view! { <Refusal error/> }.into_any(),
                })}
            </Suspense>
        </section>
    }
}

#[component]
fn Message(message: MailboxMessage) -> impl IntoView {
    view! {
        <li class="card mail">
            <h2>{message.subject}</h2>
            <p class="hint">
                "To " {message.to} " · " <time>{message.created_at}</time> " · " {message.status}
            </p>
            // The plain-text body, with its links made clickable: the HTML
            // body is never injected into this page.
            <pre class="mail__body">{linkify(&message.text_body)}</pre>
        </li>
    }
}

/// Text with each `http(s)://` word turned into a link.
fn linkify(text: &str) -> impl IntoView {
    let mut parts = Vec::new();
    for (index, line) in text.split('\n').enumerate() {
        if index > 0 {
            parts.push(view! { "\n" }.into_any());
        }
        for (position, word) in line.split(' ').enumerate() {
            if position > 0 {
                parts.push(view! { " " }.into_any());
            }
            if word.starts_with("http://") || word.starts_with("https://") {
                let (href, text) = (word.to_string(), word.to_string());
                parts.push(view! { <a href=href>{text}</a> }.into_any());
            } else {
                parts.push(word.to_string().into_any());
            }
        }
    }
    parts
}
