//! Where the browser may be sent after a sign-in (`next=`): only somewhere on
//! our own site.
//!
//! A prefix check on the raw text is not enough, because browsers repair URLs
//! before they follow them: they drop tabs and newlines (`/\t/evil.test`
//! becomes `//evil.test`, another host), read `\` as `/`, and trim leading
//! control characters and spaces. So `next` is parsed as a browser would
//! (the WHATWG URL parser of the `url` crate) against our origin and kept
//! only if the result is still on it; what is sent back is the parsed,
//! percent-encoded path and query, which is always a valid `Location`
//! header and never holds a control byte.

use url::Url;

/// Where a sign-in lands when `next` is missing or refused.
pub const DEFAULT_NEXT: &str = "/account";

/// Any fixed origin serves: the only question is whether the resolved URL
/// is still on it.
const OUR_ORIGIN: &str = "https://gatehouse.invalid/";

/// A local path and query to redirect to, or [`DEFAULT_NEXT`].
pub fn safe_next(next: Option<&str>) -> String {
    next.and_then(same_origin_target)
        .unwrap_or_else(|| DEFAULT_NEXT.to_string())
}

fn same_origin_target(next: &str) -> Option<String> {
    // Only an absolute path is a target. Raw control characters and
    // backslashes are refused outright rather than repaired: no page of ours
    // links with them, so only an attacker sends them.
    if !next.starts_with('/') || next.chars().any(|c| c.is_control() || c == '\\') {
        return None;
    }
    let base = Url::parse(OUR_ORIGIN).expect("a valid constant URL");
    let resolved = base.join(next).ok()?;
    if resolved.origin() != base.origin() {
        return None;
    }
    let mut target = resolved.path().to_string();
    if let Some(query) = resolved.query() {
        target.push('?');
        target.push_str(query);
    }
    // Dot segments can collapse to `//host` (`/.//evil.test`), which a
    // browser reads as another host when it stands first in `Location`.
    if !target.starts_with('/') || target.starts_with("//") {
        return None;
    }
    Some(target)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_paths_are_kept() {
        for (next, expected) in [
            ("/account", "/account"),
            ("/account/sessions", "/account/sessions"),
            ("/admin/users?q=ann&page=2", "/admin/users?q=ann&page=2"),
            ("/account/../admin/users", "/admin/users"),
            ("/account#devices", "/account"),
            ("/caf\u{e9}", "/caf%C3%A9"),
            ("/a b", "/a%20b"),
            // Percent-encodings stay encoded: a browser never decodes them
            // before choosing the host, so these are odd paths of ours.
            ("/%2F%2Fevil.test", "/%2F%2Fevil.test"),
            ("/%5Cevil.test", "/%5Cevil.test"),
            ("/%09/evil.test", "/%09/evil.test"),
            ("/%0d%0aSet-Cookie:x=1", "/%0d%0aSet-Cookie:x=1"),
            ("/\u{2028}/evil.test", "/%E2%80%A8/evil.test"),
        ] {
            assert_eq!(safe_next(Some(next)), expected, "{next:?}");
        }
    }

    /// Known open-redirect bypasses (OWASP Unvalidated Redirects cheat
    /// sheet, PortSwigger's URL validation bypass list): none leaves the
    /// origin and none is returned as given.
    #[test]
    fn known_bypasses_fall_back_to_the_account_page() {
        for next in [
            "",
            "account",
            "//evil.test",
            "///evil.test",
            "////evil.test/",
            "/\\evil.test",
            "\\\\evil.test",
            "/\t/evil.test",
            "/\n/evil.test",
            "/\r\n/evil.test",
            "\t//evil.test",
            " //evil.test",
            "/\u{0}/evil.test",
            "/\u{7f}/evil.test",
            "/.//evil.test",
            "/./\t/evil.test",
            "https://evil.test",
            "https:evil.test",
            "http:/evil.test",
            "javascript:alert(1)",
            "data:text/html,<script>alert(1)</script>",
            "//gatehouse.invalid@evil.test",
            "\u{3002}evil.test",
        ] {
            assert_eq!(safe_next(Some(next)), DEFAULT_NEXT, "{next:?}");
        }
        assert_eq!(safe_next(None), DEFAULT_NEXT);
    }

    #[test]
    fn every_kept_target_is_a_valid_location_header() {
        for next in ["/a b", "/é?x=ü", "/%00", "/x?y=\u{7}"] {
            let target = safe_next(Some(next));
            assert!(
                http::HeaderValue::from_str(&target).is_ok(),
                "{next:?} → {target:?}"
            );
        }
    }
}
