//! Who is asking, as far as the transport can tell: recorded with sessions
//! and audit events.

use std::net::IpAddr;

use http::{header, HeaderMap};
use ipnet::IpNet;

use crate::auth::request::client_ip::client_ip;

/// The header carrying the request id (set by the server's middleware).
pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// User agents are free text chosen by the client; keep a sane amount.
const MAX_USER_AGENT_CHARS: usize = 512;

#[derive(Debug, Clone)]
pub struct RequestMeta {
    pub ip: IpAddr,
    pub user_agent: Option<String>,
    pub request_id: Option<String>,
}

impl RequestMeta {
    /// From an HTTP request: the peer address (through `trusted` proxies
    /// only, every `X-Forwarded-For` line; `Forwarded` is ignored), the `User-Agent` and the `x-request-id` headers. Both
    /// transports read requests this way.
    pub fn from_http(peer: Option<IpAddr>, headers: &HeaderMap, trusted: &[IpNet]) -> Self {
        let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
        let peer = peer.unwrap_or(IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED));
        // Every line, in order: a proxy may add its own after the client's.
        // An unreadable line reads as garbage, which ends the walk.
        let forwarded_for = headers
            .get_all("x-forwarded-for")
            .iter()
            .map(|value| value.to_str().unwrap_or(""));
        Self::new(
            client_ip(peer, forwarded_for, trusted),
            text(header::USER_AGENT.as_str()),
            text(REQUEST_ID_HEADER),
        )
    }

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
