//! Environment lookup for model configs: process variables first, then a project `.env`.
//!
//! Kept behind a small type so config parsing is testable without touching the real process
//! environment (tests run in parallel threads).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Where `${VAR}` references and `SPATIALCLAW_LLM_*` overrides are looked up.
#[derive(Debug, Clone, Default)]
pub struct Env {
    process: bool,
    vars: HashMap<String, String>,
    dotenv: HashMap<String, String>,
    dotenv_path: Option<PathBuf>,
}

/// How many directories above the start a `.env` is searched for (as the original does).
const DOTENV_LEVELS: usize = 6;

impl Env {
    /// The real process environment, nothing else.
    pub fn process() -> Self {
        Env {
            process: true,
            ..Env::default()
        }
    }

    /// A fixed set of variables (tests, embedding).
    pub fn from_vars<I, K, V>(vars: I) -> Self
    where
        I: IntoIterator<Item = (K, V)>,
        K: Into<String>,
        V: Into<String>,
    {
        Env {
            vars: vars
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
            ..Env::default()
        }
    }

    /// Adds the first `.env` found in `start` or up to six of its parents, as a fallback below the
    /// variables already present (an exported variable always wins). Unreadable files are
    /// skipped: a `.env` is a convenience, not a requirement.
    pub fn with_dotenv_above(mut self, start: &Path) -> Self {
        if self.dotenv_path.is_some() {
            return self;
        }
        for dir in start.ancestors().take(DOTENV_LEVELS + 1) {
            let candidate = dir.join(".env");
            if let Ok(text) = std::fs::read_to_string(&candidate) {
                self.dotenv = parse_dotenv(&text);
                tracing::debug!(path = %candidate.display(), "loaded .env");
                self.dotenv_path = Some(candidate);
                break;
            }
        }
        self
    }

    /// The `.env` file in use, if any.
    pub fn dotenv_path(&self) -> Option<&Path> {
        self.dotenv_path.as_deref()
    }

    /// A variable's value; empty values count as set.
    pub fn get(&self, name: &str) -> Option<String> {
        if let Some(v) = self.vars.get(name) {
            return Some(v.clone());
        }
        if self.process
            && let Ok(v) = std::env::var(name)
        {
            return Some(v);
        }
        self.dotenv.get(name).cloned()
    }

    /// A variable's value when set and not blank.
    pub fn get_nonempty(&self, name: &str) -> Option<String> {
        self.get(name).filter(|v| !v.trim().is_empty())
    }
}

/// `KEY=VALUE` lines; `export ` prefixes, `#` comments and matching quotes handled.
fn parse_dotenv(text: &str) -> HashMap<String, String> {
    let mut out = HashMap::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let line = line.strip_prefix("export ").unwrap_or(line);
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        let key = key.trim();
        if key.is_empty() || !key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            continue;
        }
        let value = value.trim();
        let value = match value.as_bytes() {
            [q @ (b'"' | b'\''), .., last] if last == q && value.len() >= 2 => {
                &value[1..value.len() - 1]
            }
            _ => value.split(" #").next().unwrap_or(value).trim_end(),
        };
        out.insert(key.to_owned(), value.to_owned());
    }
    out
}

/// Why `${…}` expansion failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ExpandError {
    Unset(String),
    Unterminated,
    BadName(String),
}

/// Expands `${VAR}` and `${VAR:-default}` (default used when VAR is unset or empty, as in a
/// shell). A `$` not followed by `{` is literal.
pub(crate) fn expand(input: &str, env: &Env) -> Result<String, ExpandError> {
    let mut out = String::with_capacity(input.len());
    let mut rest = input;
    while let Some(at) = rest.find("${") {
        out.push_str(&rest[..at]);
        let inner_start = &rest[at + 2..];
        let close = inner_start.find('}').ok_or(ExpandError::Unterminated)?;
        let inner = &inner_start[..close];
        let (name, default) = match inner.split_once(":-") {
            Some((n, d)) => (n, Some(d)),
            None => (inner, None),
        };
        let valid = !name.is_empty()
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            && !name.starts_with(|c: char| c.is_ascii_digit());
        if !valid {
            return Err(ExpandError::BadName(inner.to_owned()));
        }
        let value = match default {
            Some(d) => env.get_nonempty(name).unwrap_or_else(|| d.to_owned()),
            None => env
                .get(name)
                .ok_or_else(|| ExpandError::Unset(name.to_owned()))?,
        };
        out.push_str(&value);
        rest = &inner_start[close + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expansion_rules() {
        let env = Env::from_vars([("A", "x"), ("EMPTY", "")]);
        assert_eq!(expand("k-${A}-$B", &env).unwrap(), "k-x-$B");
        assert_eq!(expand("${MISSING:-dflt}", &env).unwrap(), "dflt");
        assert_eq!(expand("${EMPTY:-dflt}", &env).unwrap(), "dflt");
        assert_eq!(expand("${EMPTY}", &env).unwrap(), "");
        assert_eq!(expand("${A:-}", &env).unwrap(), "x");
        assert_eq!(
            expand("${MISSING}", &env),
            Err(ExpandError::Unset("MISSING".into()))
        );
        assert_eq!(expand("${A", &env), Err(ExpandError::Unterminated));
        assert_eq!(
            expand("${1A}", &env),
            Err(ExpandError::BadName("1A".into()))
        );
    }

    #[test]
    fn dotenv_parsing_and_precedence() {
        let parsed = parse_dotenv(
            "# c\nexport KEY1=\"quoted # not comment\"\nKEY2 = plain # comment\nbad line\nK3='s'\n",
        );
        assert_eq!(parsed["KEY1"], "quoted # not comment");
        assert_eq!(parsed["KEY2"], "plain");
        assert_eq!(parsed["K3"], "s");
        let mut env = Env::from_vars([("KEY2", "exported")]);
        env.dotenv = parsed;
        assert_eq!(env.get("KEY2").as_deref(), Some("exported"));
        assert_eq!(env.get("K3").as_deref(), Some("s"));
    }

    #[test]
    fn dotenv_found_above() {
        let root = std::env::temp_dir().join(format!("scl-dotenv-{}", std::process::id()));
        let deep = root.join("a/b/c");
        std::fs::create_dir_all(&deep).unwrap();
        std::fs::write(root.join(".env"), "TOKEN_X=1\n").unwrap();
        let env = Env::from_vars::<[(&str, &str); 0], _, _>([]).with_dotenv_above(&deep);
        assert_eq!(env.get("TOKEN_X").as_deref(), Some("1"));
        assert_eq!(env.dotenv_path(), Some(root.join(".env").as_path()));
        std::fs::remove_dir_all(&root).unwrap();
    }
}
