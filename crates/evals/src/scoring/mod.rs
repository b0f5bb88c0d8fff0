//! Scoring: metrics, answer extraction, per-benchmark scorers and suite averages.

/// Declares a lazily compiled constant regex. The patterns are compile-time constants, so a failure is a
/// programming error caught by the unit tests, never a reaction to user input.
macro_rules! lazy_regex {
    ($(#[$m:meta])* $name:ident = $pat:expr) => {
        $(#[$m])*
        static $name: std::sync::LazyLock<regex::Regex> =
            std::sync::LazyLock::new(|| regex::Regex::new($pat).expect("constant regex compiles"));
    };
}

pub mod benchmarks;
pub mod extract;
pub mod mra;
pub mod pytext;
pub mod record;
pub mod suite;
