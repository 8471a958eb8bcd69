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

static COMMON_PASSWORDS: LazyLock<HashSet<String>> = LazyLock::new(|| {
    include_str!("common_passwords.txt")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_lowercase)
        .collect()
});

/// Checks `password` against the one policy (create, change, CLI): 12–256 characters, not
/// containing the username (case-insensitive), not in the bundled list of common passwords.
/// The error is a sentence to show beside the password field.
pub fn check_password(username: &str, password: &str) -> Result<(), String> {
    let chars = password.chars().count();
    if !(MIN_PASSWORD_CHARS..=MAX_PASSWORD_CHARS).contains(&chars) {
        return Err(format!(
            "password must be {MIN_PASSWORD_CHARS}-{MAX_PASSWORD_CHARS} characters"
        ));
    }
    let lowered = password.to_lowercase();
    let username = username.trim().to_lowercase();
    if !username.is_empty() && lowered.contains(&username) {
        return Err("password must not contain the username".into());
    }
    if COMMON_PASSWORDS.contains(&lowered) {
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
        assert!(check_password("alice", &"x".repeat(257)).is_err());
        assert!(check_password("alice", &"x".repeat(256)).is_ok());
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
