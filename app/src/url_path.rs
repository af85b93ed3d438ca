//! Percent-encoding a local path for a `next=` query parameter, on either
//! side of the wire.

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

/// Unreserved characters and `/` stay readable; everything else is encoded.
const QUERY_VALUE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~')
    .remove(b'/');

pub fn encode_query_value(text: &str) -> String {
    utf8_percent_encode(text, QUERY_VALUE).to_string()
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
