//! Percent-encoding a local path for a `next=` query parameter, on either
//! side (the wasm build has no `url` crate).

/// Keeps unreserved characters and `/`; encodes every other byte.
pub fn encode_query_value(text: &str) -> String {
    let mut encoded = String::with_capacity(text.len());
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                encoded.push(byte as char)
            }
            other => encoded.push_str(&format!("%{other:02X}")),
        }
    }
    encoded
}

#[cfg(test)]
mod tests {
    #[test]
    fn encodes_everything_but_unreserved_and_slashes() {
        assert_eq!(
            super::encode_query_value("/account?a=b&c"),
            "/account%3Fa%3Db%26c"
        );
        assert_eq!(super::encode_query_value("/é"), "/%C3%A9");
    }
}
