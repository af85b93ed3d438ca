//! Who is asking: the client's address behind trusted proxies
//! (`client_ip`) and what is recorded with sessions and audit events
//! (`meta`).

pub mod client_ip;
pub mod meta;
