//! The one normalisation of a username and the one password policy, used by every path that
//! takes either: login on both planes (throttle key, account lookup, audit event), account
//! creation, password change and the CLI.
//!
//! A username is trimmed, then lower-cased, then *refused* when longer than
//! [`MAX_USERNAME_CHARS`]: truncating it instead would hand an attacker a fresh throttle bucket
//! for every padding length and an audit row that no actor filter finds.

use std::collections::HashSet;
use std::sync::LazyLock;

/// Longest username, in characters, after trimming and lower-casing.
pub const MAX_USERNAME_CHARS: usize = 64;
/// Shortest accepted password, in characters.
pub const MIN_PASSWORD_CHARS: usize = 12;
/// Longest accepted password, in characters (argon2 hashes any length; this bounds the work a
/// request body can ask for).
pub const MAX_PASSWORD_CHARS: usize = 256;

/// A username as every comparison, throttle bucket and audit event sees it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct LoginName(String);

impl LoginName {
    /// Trims, lower-cases and checks the length of a username as typed.
    pub fn parse(raw: &str) -> Result<Self, UsernameError> {
        let name = raw.trim().to_lowercase();
        let chars = name.chars().count();
        if chars == 0 {
            return Err(UsernameError::Empty);
        }
        if chars > MAX_USERNAME_CHARS {
            return Err(UsernameError::TooLong { chars });
        }
        Ok(Self(name))
    }

    /// The normalised name.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The normalised name, owned.
    pub fn into_string(self) -> String {
        self.0
    }
}

impl std::fmt::Display for LoginName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Why a username is refused before any lookup.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum UsernameError {
    /// Nothing but white space.
    #[error("username must not be empty")]
    Empty,
    /// Longer than [`MAX_USERNAME_CHARS`] after trimming.
    #[error("username must be at most {MAX_USERNAME_CHARS} characters (got {chars})")]
    TooLong {
        /// Its length after trimming and lower-casing.
        chars: usize,
    },
}

/// Fewest different characters a password may use ("zzzzzzzzzzzz", "abababababab").
pub const MIN_DISTINCT_CHARS: usize = 5;

/// The bundled list of breached and common passwords of 12+ characters (gzip, ~58,000 entries,
/// NFKC-normalised and lower-cased; sources and licences in its header and the README),
/// decompressed on first use.
static BREACHED_PASSWORDS: LazyLock<HashSet<String>> = LazyLock::new(|| {
    use std::io::Read;
    let mut text = String::new();
    let read = flate2::read::GzDecoder::new(&include_bytes!("breached_passwords.txt.gz")[..])
        .read_to_string(&mut text);
    if let Err(e) = read {
        // A build that bundles a broken file fails its unit test; never a login.
        tracing::error!(error = %e, "the bundled breached-password list cannot be read");
    }
    text.lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_owned)
        .collect()
});

/// Characters that show nothing: white space, controls, and the format, filler and
/// variation characters that render as nothing (zero-width space and joiners, bidi marks,
/// the BOM, soft hyphen, Hangul fillers, the blank Braille pattern, tag characters...).
fn is_invisible(c: char) -> bool {
    c.is_whitespace()
        || c.is_control()
        || matches!(
            c,
            '\u{00AD}'
                | '\u{034F}'
                | '\u{061C}'
                | '\u{115F}'
                | '\u{1160}'
                | '\u{17B4}'
                | '\u{17B5}'
                | '\u{180B}'..='\u{180F}'
                | '\u{200B}'..='\u{200F}'
                | '\u{202A}'..='\u{202E}'
                | '\u{2060}'..='\u{2064}'
                | '\u{2066}'..='\u{206F}'
                | '\u{2800}'
                | '\u{3164}'
                | '\u{FE00}'..='\u{FE0F}'
                | '\u{FEFF}'
                | '\u{FFA0}'
                | '\u{1D173}'..='\u{1D17A}'
                | '\u{E0000}'..='\u{E0FFF}'
        )
}

/// Whether the list holds `lowered` as typed, without the invisible characters around it, or
/// without any invisible character at all (a listed password with a trailing space, or a
/// zero-width space inside it, is still that password).
fn is_breached(lowered: &str) -> bool {
    let trimmed = lowered.trim_matches(is_invisible);
    let visible: String = lowered.chars().filter(|c| !is_invisible(*c)).collect();
    [lowered, trimmed, visible.as_str()]
        .iter()
        .any(|p| BREACHED_PASSWORDS.contains(*p))
}

/// Checks `password` against the one policy (create, change, CLI), on its NFKC normalisation
/// (so full-width or ligature look-alikes are judged as the letters they stand for): 12–256
/// characters, some of them visible, at least [`MIN_DISTINCT_CHARS`] different visible
/// characters (case-insensitive), not containing the username (case-insensitive), not in the
/// bundled list of breached passwords. The password itself is stored (hashed) as typed.
/// The error is a sentence to show beside the password field.
pub fn check_password(username: &str, password: &str) -> Result<(), String> {
    use unicode_normalization::UnicodeNormalization;
    let normalized: String = password.nfkc().collect();
    let chars = normalized.chars().count();
    if !(MIN_PASSWORD_CHARS..=MAX_PASSWORD_CHARS).contains(&chars) {
        return Err(format!(
            "password must be {MIN_PASSWORD_CHARS}-{MAX_PASSWORD_CHARS} characters"
        ));
    }
    let lowered = normalized.to_lowercase();
    let visible: HashSet<char> = lowered.chars().filter(|c| !is_invisible(*c)).collect();
    if visible.is_empty() {
        return Err("password must not be only spaces or invisible characters".into());
    }
    if visible.len() < MIN_DISTINCT_CHARS {
        return Err(format!(
            "password must use at least {MIN_DISTINCT_CHARS} different characters"
        ));
    }
    let username = username.trim().to_lowercase();
    if !username.is_empty() && lowered.contains(&username) {
        return Err("password must not contain the username".into());
    }
    if is_breached(&lowered) {
        return Err("password is too common; choose another".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn names_are_trimmed_lowercased_and_never_truncated() {
        assert_eq!(
            LoginName::parse("  Runner\t").map(LoginName::into_string),
            Ok("runner".into())
        );
        let padded = format!("{}runner", " ".repeat(256));
        assert_eq!(
            LoginName::parse(&padded).map(LoginName::into_string),
            Ok("runner".into())
        );
        assert_eq!(LoginName::parse("   "), Err(UsernameError::Empty));
        let long = "a".repeat(65);
        assert_eq!(
            LoginName::parse(&long),
            Err(UsernameError::TooLong { chars: 65 })
        );
        assert!(LoginName::parse(&"a".repeat(64)).is_ok());
    }

    #[test]
    fn the_policy_checks_length_username_and_common_passwords() {
        assert!(check_password("alice", "a fine long passphrase").is_ok());
        assert!(check_password("alice", "short").is_err());
        assert!(
            check_password("alice", &"xyzvw".repeat(52)).is_err(),
            "260 chars"
        );
        assert!(
            check_password("alice", &"xyzvw".repeat(51)).is_ok(),
            "255 chars"
        );
        assert_eq!(
            check_password("alice", "my-ALICE-password-1"),
            Err("password must not contain the username".into())
        );
        assert_eq!(
            check_password("bob", "Password1234"),
            Err("password is too common; choose another".into())
        );
        assert!(check_password("bob", "1qaz2wsx3edc").is_err());
    }

    #[test]
    fn the_bundled_list_is_large_and_normalised() {
        assert!(
            BREACHED_PASSWORDS.len() > 50_000,
            "{}",
            BREACHED_PASSWORDS.len()
        );
        // One entry of each source (see the list's header).
        for listed in [
            "tarantino123",
            "welcome2suzan",
            "1qaz2wsx3edc",
            "chickenwing101",
        ] {
            assert!(BREACHED_PASSWORDS.contains(listed), "{listed}");
        }
        use unicode_normalization::UnicodeNormalization;
        for entry in BREACHED_PASSWORDS.iter() {
            assert!(entry.chars().count() >= MIN_PASSWORD_CHARS, "{entry:?}");
            let normal: String = entry.nfkc().collect::<String>().to_lowercase();
            assert_eq!(&normal, entry);
        }
    }

    #[test]
    fn blank_repetitive_and_disguised_passwords_are_refused() {
        let invisible = "password must not be only spaces or invisible characters";
        assert_eq!(
            check_password("bob", &" ".repeat(12)),
            Err(invisible.into())
        );
        assert_eq!(
            check_password("bob", &"\u{200B}".repeat(12)),
            Err(invisible.into())
        );
        assert_eq!(
            check_password("bob", &"\t\u{3000}\u{FEFF}".repeat(4)),
            Err(invisible.into())
        );
        let few = "password must use at least 5 different characters";
        assert_eq!(check_password("bob", "zzzzzzzzzzzz"), Err(few.into()));
        assert_eq!(check_password("bob", "abababababab"), Err(few.into()));
        assert_eq!(
            check_password("bob", "AbCdabcdABCD"),
            Err(few.into()),
            "case-insensitive"
        );
        assert_eq!(
            check_password("bob", "abcd\u{200B}\u{200B}\u{200B}abcdabcd"),
            Err(few.into()),
            "invisible characters do not count"
        );
        assert!(check_password("bob", "abcdeabcdeab").is_ok(), "exactly 5");
        // A listed password with a trailing space, inner zero-width space or full-width letters.
        let common = "password is too common; choose another";
        assert_eq!(check_password("bob", "Password1234 "), Err(common.into()));
        assert_eq!(
            check_password("bob", " password1234\u{200B}"),
            Err(common.into())
        );
        assert_eq!(
            check_password("bob", "pass\u{200B}word1234"),
            Err(common.into())
        );
        assert_eq!(
            check_password(
                "bob",
                "\u{FF50}\u{FF41}\u{FF53}\u{FF53}\u{FF57}\u{FF4F}\u{FF52}\u{FF44}1234"
            ),
            Err(common.into()),
            "NFKC folds full-width letters"
        );
        // NFKC before the username check, too: a full-width username inside.
        assert_eq!(
            check_password("alice", "my-\u{FF41}lice-password-1"),
            Err("password must not contain the username".into())
        );
    }

    proptest! {
        #[test]
        fn parsing_is_idempotent_and_bounded(raw in "\\PC{0,100}") {
            if let Ok(name) = LoginName::parse(&raw) {
                prop_assert!(name.as_str().chars().count() <= MAX_USERNAME_CHARS);
                prop_assert_eq!(LoginName::parse(name.as_str()), Ok(name.clone()));
                let padded = format!("   {raw}  ");
                prop_assert_eq!(LoginName::parse(&padded), Ok(name));
            }
        }
    }
}
