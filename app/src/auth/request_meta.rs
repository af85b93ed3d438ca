//! Who is asking, as far as the transport can tell: recorded with sessions
//! and audit events.

use std::net::IpAddr;

/// User agents are free text chosen by the client; keep a sane amount.
const MAX_USER_AGENT_CHARS: usize = 512;

#[derive(Debug, Clone)]
pub struct RequestMeta {
    pub ip: IpAddr,
    pub user_agent: Option<String>,
    pub request_id: Option<String>,
}

impl RequestMeta {
    pub fn new(ip: IpAddr, user_agent: Option<&str>, request_id: Option<&str>) -> Self {
        Self {
            ip,
            user_agent: user_agent
                .map(|agent| clean_text(agent, MAX_USER_AGENT_CHARS))
                .filter(|agent| !agent.is_empty()),
            request_id: request_id.map(|id| clean_text(id, 128)),
        }
    }
}

/// Drops control characters (NUL included) and caps the length in characters.
pub(crate) fn clean_text(text: &str, max_chars: usize) -> String {
    text.chars()
        .filter(|c| !c.is_control())
        .take(max_chars)
        .collect::<String>()
        .trim()
        .to_string()
}
