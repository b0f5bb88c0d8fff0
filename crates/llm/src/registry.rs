//! The vLLM instance registry (`serve.json`) written by the original project's server manager.
//!
//! Shape: `{ "<served model name>": { "<instance id>": { "ip": "10.0.0.5", "port": 8000, … } } }`.
//! Each instance becomes `http://ip:port/v1`; the list is sorted so routing is stable. The file is
//! rewritten by jobs that come and go, so a read that fails or finds nothing is reported and the
//! caller keeps its previous list.

use std::path::{Path, PathBuf};

use serde_json::Value;

/// Why the registry gave no endpoints.
#[derive(Debug, Clone, thiserror::Error)]
pub enum RegistryError {
    #[error("cannot read the vLLM registry {path}: {message}")]
    Read { path: PathBuf, message: String },
    #[error("the vLLM registry {path} is not valid JSON ({message}); it may be mid-write")]
    Json { path: PathBuf, message: String },
    #[error(
        "the vLLM registry {path} lists no model {model:?} (it lists: {available}); \
         set llm_model to one of the served names"
    )]
    ModelAbsent {
        path: PathBuf,
        model: String,
        available: String,
    },
    #[error(
        "the vLLM registry {path} lists several models ({available}); set llm_model to choose one"
    )]
    Ambiguous { path: PathBuf, available: String },
    #[error("the vLLM registry {path} has no usable instance (ip + port) for model {model:?}")]
    Empty { path: PathBuf, model: String },
}

/// Reads the registry without blocking the async runtime.
pub async fn read_registry(path: &Path, model: &str) -> Result<Vec<String>, RegistryError> {
    let text = tokio::fs::read_to_string(path)
        .await
        .map_err(|e| RegistryError::Read {
            path: path.to_owned(),
            message: e.to_string(),
        })?;
    parse_registry(&text, path, model)
}

/// Parses registry text. An empty `model` is accepted when the registry serves exactly one.
pub fn parse_registry(text: &str, path: &Path, model: &str) -> Result<Vec<String>, RegistryError> {
    let root: Value = serde_json::from_str(text).map_err(|e| RegistryError::Json {
        path: path.to_owned(),
        message: e.to_string(),
    })?;
    let Some(models) = root.as_object() else {
        return Err(RegistryError::Json {
            path: path.to_owned(),
            message: "top level is not an object of served model names".into(),
        });
    };
    let available = || {
        let mut names: Vec<&str> = models.keys().map(String::as_str).collect();
        names.sort_unstable();
        if names.is_empty() {
            "nothing".to_owned()
        } else {
            names.join(", ")
        }
    };
    let (name, instances) = if model.is_empty() {
        let mut it = models.iter();
        match (it.next(), it.next()) {
            (Some(only), None) => only,
            (None, _) => {
                return Err(RegistryError::Empty {
                    path: path.to_owned(),
                    model: String::new(),
                });
            }
            _ => {
                return Err(RegistryError::Ambiguous {
                    path: path.to_owned(),
                    available: available(),
                });
            }
        }
    } else {
        match models.get_key_value(model) {
            Some(kv) => kv,
            None => {
                return Err(RegistryError::ModelAbsent {
                    path: path.to_owned(),
                    model: model.to_owned(),
                    available: available(),
                });
            }
        }
    };
    let mut urls: Vec<String> = instances
        .as_object()
        .map(|o| o.values().filter_map(instance_url).collect())
        .unwrap_or_default();
    urls.sort();
    urls.dedup();
    if urls.is_empty() {
        return Err(RegistryError::Empty {
            path: path.to_owned(),
            model: name.clone(),
        });
    }
    Ok(urls)
}

/// `http://ip:port/v1` of one instance entry (`host` accepted for `ip`, port as number or string,
/// a ready `base_url` used as is).
fn instance_url(entry: &Value) -> Option<String> {
    if let Some(url) = entry.get("base_url").and_then(Value::as_str) {
        return Some(url.trim_end_matches('/').to_owned());
    }
    let host = entry
        .get("ip")
        .or_else(|| entry.get("host"))
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|h| !h.is_empty())?;
    let port: u16 = match entry.get("port")? {
        Value::Number(n) => u16::try_from(n.as_u64()?).ok()?,
        Value::String(s) => s.trim().parse().ok()?,
        _ => return None,
    };
    let host = if host.contains(':') && !host.starts_with('[') {
        format!("[{host}]")
    } else {
        host.to_owned()
    };
    Some(format!("http://{host}:{port}/v1"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const REG: &str = r#"{
        "qwen": {"b": {"ip": "10.0.0.2", "port": 8001, "gpus": [0]},
                 "a": {"ip": "10.0.0.1", "port": "8000"},
                 "broken": {"ip": "10.0.0.3"}},
        "gemma": {"x": {"host": "::1", "port": 9000}}
    }"#;

    #[test]
    fn reads_sorted_instances() {
        let p = Path::new("serve.json");
        assert_eq!(
            parse_registry(REG, p, "qwen").unwrap(),
            vec!["http://10.0.0.1:8000/v1", "http://10.0.0.2:8001/v1"]
        );
        assert_eq!(
            parse_registry(REG, p, "gemma").unwrap(),
            vec!["http://[::1]:9000/v1"]
        );
    }

    #[test]
    fn explains_what_is_wrong() {
        let p = Path::new("serve.json");
        let e = parse_registry(REG, p, "llama").unwrap_err().to_string();
        assert!(e.contains("gemma, qwen") && e.contains("llm_model"), "{e}");
        assert!(matches!(
            parse_registry(REG, p, ""),
            Err(RegistryError::Ambiguous { .. })
        ));
        assert!(matches!(
            parse_registry("{\"m\": {}}", p, "m"),
            Err(RegistryError::Empty { .. })
        ));
        assert!(matches!(
            parse_registry("{\"m\": ", p, "m"),
            Err(RegistryError::Json { .. })
        ));
        assert_eq!(
            parse_registry(r#"{"m": {"i": {"ip": "h", "port": 1}}}"#, p, "").unwrap(),
            vec!["http://h:1/v1"]
        );
    }
}
