//! Validation of request bodies and query parameters. Every message names the field and says
//! what is allowed, so an SDK author can tell at a glance what was wrong.

use serde_json::{Map, Value};

use crate::models::AgentStatus;

/// The fields of `PUT /agents/:id`, each present only if given.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct AgentUpdate {
    pub name: Option<String>,
    pub status: Option<AgentStatus>,
    pub config: ConfigUpdate,
}

/// The fields of `config` in `PUT /agents/:id`, each present only if given.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct ConfigUpdate {
    pub model: Option<String>,
    pub system_prompt: Option<String>,
    pub temperature: Option<f64>,
    pub max_tokens: Option<u64>,
}

const UPDATE_FIELDS: &str = "name, status, config";
const CONFIG_FIELDS: &str = "model, system_prompt, temperature, max_tokens";

/// Parses a body that must be a JSON object.
fn object(body: &[u8]) -> Result<Map<String, Value>, String> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err("Request body is required and must be a JSON object".into());
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err("Request body must be a JSON object".into()),
        Err(e) => Err(format!("Request body is not valid JSON: {e}")),
    }
}

/// Validates the body of `PUT /agents/:id`.
pub(crate) fn agent_update(body: &[u8]) -> Result<AgentUpdate, String> {
    let mut update = AgentUpdate::default();
    for (field, value) in object(body)? {
        match field.as_str() {
            "name" => match value {
                Value::String(s) if !s.trim().is_empty() => update.name = Some(s),
                Value::String(_) => return Err("'name' must not be empty".into()),
                _ => return Err("'name' must be a string".into()),
            },
            "status" => {
                update.status = Some(match value.as_str() {
                    Some("active") => AgentStatus::Active,
                    Some("paused") => AgentStatus::Paused,
                    _ => return Err("'status' must be one of: active, paused".into()),
                })
            }
            "config" => match value {
                Value::Object(config) => update.config = config_update(config)?,
                _ => return Err("'config' must be an object".into()),
            },
            other => {
                return Err(format!(
                    "Unknown field '{other}'; allowed fields: {UPDATE_FIELDS}"
                ));
            }
        }
    }
    Ok(update)
}

fn config_update(config: Map<String, Value>) -> Result<ConfigUpdate, String> {
    let mut update = ConfigUpdate::default();
    for (field, value) in config {
        match field.as_str() {
            "model" => match value {
                Value::String(s) if !s.trim().is_empty() => update.model = Some(s),
                _ => return Err("'config.model' must be a non-empty string".into()),
            },
            "system_prompt" => match value {
                Value::String(s) => update.system_prompt = Some(s),
                _ => return Err("'config.system_prompt' must be a string".into()),
            },
            "temperature" => match value.as_f64() {
                Some(t) if (0.0..=2.0).contains(&t) => update.temperature = Some(t),
                _ => {
                    return Err("'config.temperature' must be a number between 0 and 2".into());
                }
            },
            "max_tokens" => match value.as_i64() {
                Some(n) if n >= 1 => update.max_tokens = Some(n as u64),
                _ => {
                    return Err(
                        "'config.max_tokens' must be an integer greater than or equal to 1".into(),
                    );
                }
            },
            other => {
                return Err(format!(
                    "Unknown field 'config.{other}'; allowed config fields: {CONFIG_FIELDS}"
                ));
            }
        }
    }
    Ok(update)
}

/// Validates the body of `POST /agents/:id/chat` and returns the message.
pub(crate) fn chat_message(body: &[u8]) -> Result<String, String> {
    let mut message = None;
    for (field, value) in object(body)? {
        match (field.as_str(), value) {
            ("message", Value::String(s)) if !s.trim().is_empty() => message = Some(s),
            ("message", _) => return Err(MESSAGE_REQUIRED.into()),
            (other, _) => {
                return Err(format!("Unknown field '{other}'; allowed fields: message"));
            }
        }
    }
    message.ok_or_else(|| MESSAGE_REQUIRED.into())
}

const MESSAGE_REQUIRED: &str = "'message' is required and must be a non-empty string";

/// Default and bounds of `limit` for `GET /agents/:id/runs`.
pub(crate) const DEFAULT_LIMIT: u32 = 20;
const MAX_LIMIT: u32 = 100;

/// Validates `limit` (1–100, default 20) and `offset` (0 to 2^63 − 1, default 0) from a raw query
/// string. Each may appear once; other parameters are ignored, as most APIs do.
pub(crate) fn runs_query(query: Option<&str>) -> Result<(u32, u64), String> {
    let mut limit = None;
    let mut offset = None;
    for pair in query.unwrap_or("").split('&').filter(|p| !p.is_empty()) {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        let (slot, parsed) = match name {
            "limit" => (
                &mut limit,
                value
                    .parse::<u32>()
                    .ok()
                    .filter(|l| (1..=MAX_LIMIT).contains(l))
                    .map(u64::from)
                    .ok_or("'limit' must be an integer between 1 and 100")?,
            ),
            "offset" => (
                &mut offset,
                value
                    .parse::<i64>()
                    .ok()
                    .filter(|o| *o >= 0)
                    .map(|o| o as u64)
                    .ok_or("'offset' must be an integer greater than or equal to 0")?,
            ),
            _ => continue,
        };
        if slot.replace(parsed).is_some() {
            return Err(format!("'{name}' must be given at most once"));
        }
    }
    let limit = limit.map_or(DEFAULT_LIMIT, |l| l as u32);
    Ok((limit, offset.unwrap_or(0)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn update_accepts_only_known_well_typed_fields() {
        let update =
            agent_update(br#"{"name":"N","config":{"temperature":0.5,"max_tokens":4096}}"#)
                .unwrap();
        assert_eq!(update.name.as_deref(), Some("N"));
        assert_eq!(update.config.temperature, Some(0.5));
        assert_eq!(update.config.max_tokens, Some(4096));
        assert_eq!(agent_update(b"{}").unwrap(), AgentUpdate::default());
    }

    #[test]
    fn update_errors_name_the_field() {
        let cases: [(&[u8], &str); 10] = [
            (b"", "required"),
            (b"nope", "not valid JSON"),
            (b"[1]", "must be a JSON object"),
            (br#"{"colour":1}"#, "Unknown field 'colour'"),
            (br#"{"name":""}"#, "'name' must not be empty"),
            (br#"{"name":3}"#, "'name' must be a string"),
            (br#"{"status":"deleted"}"#, "active, paused"),
            (br#"{"config":{"temperature":2.5}}"#, "between 0 and 2"),
            (br#"{"config":{"max_tokens":0}}"#, "config.max_tokens"),
            (br#"{"config":{"top_p":1}}"#, "config.top_p"),
        ];
        for (body, expected) in cases {
            let err = agent_update(body).unwrap_err();
            assert!(
                err.contains(expected),
                "{err:?} should contain {expected:?}"
            );
        }
        assert!(agent_update(br#"{"config":{"max_tokens":1.5}}"#).is_err());
    }

    #[test]
    fn chat_needs_a_non_empty_message_string() {
        assert_eq!(chat_message(br#"{"message":"hi"}"#).unwrap(), "hi");
        for body in [
            &b"{}"[..],
            br#"{"message":""}"#,
            br#"{"message":"  "}"#,
            br#"{"message":1}"#,
        ] {
            assert!(chat_message(body).unwrap_err().contains("'message'"));
        }
        assert!(chat_message(br#"{"message":"hi","x":1}"#).is_err());
    }

    #[test]
    fn runs_query_defaults_and_bounds() {
        assert_eq!(runs_query(None), Ok((20, 0)));
        assert_eq!(runs_query(Some("limit=100&offset=7&x=y")), Ok((100, 7)));
        for bad in ["limit=0", "limit=101", "limit=abc", "limit=", "limit=1.5"] {
            assert!(
                runs_query(Some(bad)).unwrap_err().contains("'limit'"),
                "{bad}"
            );
        }
        for bad in ["offset=-1", "offset=x", "offset=2.0"] {
            assert!(
                runs_query(Some(bad)).unwrap_err().contains("'offset'"),
                "{bad}"
            );
        }
    }
}
