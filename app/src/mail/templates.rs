//! The emails Gatehouse sends, each as plain text and HTML. Values that come
//! from outside (the browser name, addresses) are escaped in the HTML body.

use std::net::IpAddr;

use super::Email;

/// What the reset email tells about the request that caused it.
pub struct ResetEmail<'a> {
    pub to: &'a str,
    pub product: &'a str,
    pub link: &'a str,
    pub valid_minutes: u64,
    pub ip: IpAddr,
    pub browser: &'a str,
}

pub fn password_reset(mail: &ResetEmail<'_>) -> Email {
    let valid = duration_words(mail.valid_minutes);
    let subject = format!("Reset your {} password", mail.product);
    let text = format!(
        "Someone asked to reset the password of your {product} account.\n\
         \n\
         To choose a new password, open this link (valid for {valid}, usable once):\n\
         {link}\n\
         \n\
         The request came from {browser}, IP address {ip}.\n\
         \n\
         If this was not you, ignore this email: your password stays as it is.\n\
         Two-factor authentication, if it is on, stays on.\n",
        product = mail.product,
        link = mail.link,
        browser = mail.browser,
        ip = mail.ip,
    );
    let html = format!(
        "<!doctype html><html><body>\
         <p>Someone asked to reset the password of your {product} account.</p>\
         <p><a href=\"{link}\">Choose a new password</a> (valid for {valid}, usable once).</p>\
         <p>If the button does not work, copy this address into your browser:<br>{link}</p>\
         <p>The request came from {browser}, IP address {ip}.</p>\
         <p>If this was not you, ignore this email: your password stays as it is. \
         Two-factor authentication, if it is on, stays on.</p>\
         </body></html>",
        product = escape(mail.product),
        link = escape(mail.link),
        browser = escape(mail.browser),
        ip = mail.ip,
    );
    Email {
        to: mail.to.to_string(),
        subject,
        text,
        html,
    }
}

/// The notice after a reset, so that the owner learns of a reset they did
/// not ask for (OWASP Forgot Password cheat sheet).
pub struct PasswordChangedEmail<'a> {
    pub to: &'a str,
    pub product: &'a str,
    /// Where to start a new reset: `{PUBLIC_URL}/forgot-password`.
    pub forgot_link: &'a str,
    pub ip: IpAddr,
    pub browser: &'a str,
}

pub fn password_changed(mail: &PasswordChangedEmail<'_>) -> Email {
    let subject = format!("Your {} password was changed", mail.product);
    let text = format!(
        "The password of your {product} account was just reset with an emailed link, \
         from {browser}, IP address {ip}. Every device was signed out.\n\
         \n\
         If this was you, there is nothing to do.\n\
         If it was not, reset your password again at once ({link}) and tell your \
         administrator.\n",
        product = mail.product,
        browser = mail.browser,
        ip = mail.ip,
        link = mail.forgot_link,
    );
    let html = format!(
        "<!doctype html><html><body>\
         <p>The password of your {product} account was just reset with an emailed link, \
         from {browser}, IP address {ip}. Every device was signed out.</p>\
         <p>If this was you, there is nothing to do.</p>\
         <p>If it was not, <a href=\"{link}\">reset your password again</a> at once and \
         tell your administrator.</p>\
         </body></html>",
        product = escape(mail.product),
        browser = escape(mail.browser),
        ip = mail.ip,
        link = escape(mail.forgot_link),
    );
    Email {
        to: mail.to.to_string(),
        subject,
        text,
        html,
    }
}

/// The notice that an administrator removed the account's 2FA, so that the
/// owner learns of a removal they did not ask for. It carries no token: the
/// link only leads to the settings page, behind a sign-in.
pub struct TwoFactorRemovedEmail<'a> {
    pub to: &'a str,
    pub product: &'a str,
    /// `{PUBLIC_URL}/account/2fa`.
    pub settings_link: &'a str,
}

pub fn two_factor_removed(mail: &TwoFactorRemovedEmail<'_>) -> Email {
    let subject = format!(
        "Two-factor authentication was removed from your {} account",
        mail.product
    );
    let text = format!(
        "An administrator removed two-factor authentication from your {product} account: \
         your authenticator app and your backup codes no longer work, and signing in \
         needs only your password.\n\
         \n\
         If you asked for this, turn two-factor authentication on again with your new \
         phone: {link}\n\
         If you did not, tell your administrator at once.\n",
        product = mail.product,
        link = mail.settings_link,
    );
    let html = format!(
        "<!doctype html><html><body>\
         <p>An administrator removed two-factor authentication from your {product} account: \
         your authenticator app and your backup codes no longer work, and signing in needs \
         only your password.</p>\
         <p>If you asked for this, <a href=\"{link}\">turn two-factor authentication on \
         again</a> with your new phone.</p>\
         <p>If you did not, tell your administrator at once.</p>\
         </body></html>",
        product = escape(mail.product),
        link = escape(mail.settings_link),
    );
    Email {
        to: mail.to.to_string(),
        subject,
        text,
        html,
    }
}

pub fn email_verification(to: &str, product: &str, link: &str, valid_hours: u64) -> Email {
    let valid = duration_words(valid_hours * 60);
    let subject = format!("Confirm your email address for {product}");
    let text = format!(
        "Please confirm that this address belongs to your {product} account by opening \
         this link (valid for {valid}):\n\
         {link}\n\
         \n\
         If you did not create an account, ignore this email.\n"
    );
    let html = format!(
        "<!doctype html><html><body>\
         <p>Please confirm that this address belongs to your {product} account.</p>\
         <p><a href=\"{link}\">Confirm my address</a> (valid for {valid}).</p>\
         <p>If the button does not work, copy this address into your browser:<br>{link}</p>\
         <p>If you did not create an account, ignore this email.</p>\
         </body></html>",
        product = escape(product),
        link = escape(link),
    );
    Email {
        to: to.to_string(),
        subject,
        text,
        html,
    }
}

fn duration_words(minutes: u64) -> String {
    match minutes {
        m if m % 60 == 0 && m / 60 == 1 => "1 hour".to_string(),
        m if m % 60 == 0 => format!("{} hours", m / 60),
        1 => "1 minute".to_string(),
        m => format!("{m} minutes"),
    }
}

/// HTML text escaping for element content and quoted attribute values.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reset_email_names_product_link_ip_and_browser_in_both_bodies() {
        let email = password_reset(&ResetEmail {
            to: "ann@example.com",
            product: "GLAD Labs",
            link: "https://auth.example.com/reset-password?token=abc",
            valid_minutes: 60,
            ip: "192.0.2.7".parse().unwrap(),
            browser: "Firefox on <Linux>",
        });
        assert_eq!(email.subject, "Reset your GLAD Labs password");
        for body in [&email.text, &email.html] {
            assert!(body.contains("https://auth.example.com/reset-password?token=abc"));
            assert!(body.contains("GLAD Labs"));
            assert!(body.contains("192.0.2.7"));
            assert!(body.contains("1 hour"));
        }
        assert!(email.text.contains("Firefox on <Linux>"));
        assert!(email.html.contains("Firefox on &lt;Linux&gt;"));
    }

    #[test]
    fn the_notice_of_a_reset_carries_no_token() {
        let email = password_changed(&PasswordChangedEmail {
            to: "ann@example.com",
            product: "GLAD Labs",
            forgot_link: "https://auth.example.com/forgot-password",
            ip: "192.0.2.7".parse().unwrap(),
            browser: "curl",
        });
        assert_eq!(email.subject, "Your GLAD Labs password was changed");
        for body in [&email.text, &email.html] {
            assert!(body.contains("https://auth.example.com/forgot-password"));
            assert!(body.contains("192.0.2.7"));
            assert!(!body.contains("token"));
        }
    }

    #[test]
    fn the_notice_of_a_removed_second_factor_carries_no_token() {
        let email = two_factor_removed(&TwoFactorRemovedEmail {
            to: "ann@example.com",
            product: "GLAD <Labs>",
            settings_link: "https://auth.example.com/account/2fa",
        });
        for body in [&email.text, &email.html] {
            assert!(body.contains("https://auth.example.com/account/2fa"));
            assert!(!body.contains("token"));
        }
        assert!(email.html.contains("GLAD &lt;Labs&gt;"));
    }

    #[test]
    fn the_verification_email_carries_its_link() {
        let email = email_verification("a@example.com", "P", "http://x/verify-email?token=t", 48);
        assert!(email.text.contains("http://x/verify-email?token=t"));
        assert!(email.html.contains("48 hours"));
    }
}
