//! Argument checks made before anything is sent.
//!
//! Every binding relies on these instead of checking on its own, so the three SDKs reject
//! exactly the same inputs with the same messages.

use crate::error::{Error, Result};
use crate::models::{AgentConfigUpdate, AgentUpdate, RunsQuery};

/// Largest page the API serves.
pub const MAX_PAGE_SIZE: u32 = 100;
const MAX_ID_LEN: usize = 128;

/// An id becomes a path segment: only letters, digits, `_` and `-` may pass, so `../usage` or
/// `a/b?x` can never reach another route.
pub fn agent_id(id: &str) -> Result<&str> {
    if id.is_empty() {
        return Err(Error::invalid_argument(
            "id",
            "agent id must not be empty; pass an id such as \"agt_abc123\" (see agents.list())",
        ));
    }
    if id.len() > MAX_ID_LEN {
        return Err(Error::invalid_argument(
            "id",
            format!(
                "agent id is {} characters long; ids are at most {MAX_ID_LEN}",
                id.len()
            ),
        ));
    }
    if let Some(bad) = id
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '_' || *c == '-'))
    {
        return Err(Error::invalid_argument(
            "id",
            format!(
                "agent id {id:?} contains {bad:?}; ids may contain only letters, digits, '_' and '-'"
            ),
        ));
    }
    Ok(id)
}

/// A chat message must be non-empty (whitespace alone counts as empty).
pub fn message(message: &str) -> Result<&str> {
    if message.trim().is_empty() {
        return Err(Error::invalid_argument(
            "message",
            "message must be a non-empty string",
        ));
    }
    Ok(message)
}

/// A page size: 1–100.
pub fn page_size(argument: &'static str, limit: i64) -> Result<u32> {
    if !(1..=i64::from(MAX_PAGE_SIZE)).contains(&limit) {
        return Err(Error::out_of_range(
            argument,
            format!("{argument} must be between 1 and {MAX_PAGE_SIZE}, got {limit}"),
        ));
    }
    Ok(limit as u32)
}

/// An offset: zero or more.
pub fn offset(offset: i64) -> Result<u64> {
    if offset < 0 {
        return Err(Error::out_of_range(
            "offset",
            format!("offset must be zero or more, got {offset}"),
        ));
    }
    Ok(offset as u64)
}

/// Builds a [`RunsQuery`] from signed values as bindings receive them, checking both.
pub fn runs_query(limit: Option<i64>, offset_value: Option<i64>) -> Result<RunsQuery> {
    Ok(RunsQuery {
        limit: limit.map(|l| page_size("limit", l)).transpose()?,
        offset: offset_value.map(offset).transpose()?,
    })
}

/// Checks a query built in Rust (where the types already exclude negative offsets).
pub fn checked_runs_query(query: RunsQuery) -> Result<RunsQuery> {
    if let Some(limit) = query.limit {
        page_size("limit", i64::from(limit))?;
    }
    // The API reads offsets as signed 64-bit integers, as the bindings' checks do.
    if let Some(offset) = query.offset
        && i64::try_from(offset).is_err()
    {
        return Err(Error::out_of_range(
            "offset",
            format!("offset must be from 0 to {}, got {offset}", i64::MAX),
        ));
    }
    Ok(query)
}

/// An update must change something, with a non-empty name and config values in range.
pub fn update(update: &AgentUpdate) -> Result<&AgentUpdate> {
    let config_is_empty = update.config.as_ref().is_none_or(config_update_is_empty);
    if update.name.is_none() && update.status.is_none() && config_is_empty {
        return Err(Error::invalid_argument(
            "update",
            "an update must set at least one of name, status or config (with at least one field), \
             or send a field this SDK has no argument for as an extra body field",
        ));
    }
    update_fields(update)
}

/// The fields an update sets are valid (it may set none: a call whose extra body fields are
/// the change, a field the API added that this SDK does not know yet).
pub(crate) fn update_fields(update: &AgentUpdate) -> Result<&AgentUpdate> {
    // `"config": {}` changes nothing: refused with a name too, as it is alone.
    if update.config.as_ref().is_some_and(config_update_is_empty) {
        return Err(Error::invalid_argument(
            "config",
            "config must set at least one field (leave config out to leave it unchanged)",
        ));
    }
    if let Some(name) = &update.name
        && name.trim().is_empty()
    {
        return Err(Error::invalid_argument("name", "name must not be empty"));
    }
    if let Some(status) = &update.status
        && !matches!(
            status,
            crate::models::AgentStatus::Active | crate::models::AgentStatus::Paused
        )
    {
        return Err(Error::invalid_argument(
            "status",
            format!(
                "status must be \"active\" or \"paused\", got {:?}",
                status.as_str()
            ),
        ));
    }
    if let Some(config) = &update.config {
        if let Some(t) = config.temperature
            && !(0.0..=2.0).contains(&t)
        {
            return Err(Error::out_of_range(
                "temperature",
                format!("temperature must be between 0 and 2, got {t}"),
            ));
        }
        if config.max_tokens == Some(0) {
            return Err(Error::out_of_range(
                "max_tokens",
                "max_tokens must be at least 1, got 0",
            ));
        }
        if config.model.as_deref().is_some_and(|m| m.trim().is_empty()) {
            return Err(Error::invalid_argument("model", "model must not be empty"));
        }
    }
    Ok(update)
}

/// `max_tokens` as bindings receive it (signed), checked before it becomes a `u64`.
pub fn max_tokens(value: i64) -> Result<u64> {
    if value < 1 {
        return Err(Error::out_of_range(
            "max_tokens",
            format!("max_tokens must be at least 1, got {value}"),
        ));
    }
    Ok(value as u64)
}

/// The unit a binding's users give durations in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DurationUnit {
    /// Python: `timeout=30.0`.
    Seconds,
    /// Node: `timeout: 30_000`.
    Milliseconds,
}

/// A per-attempt timeout as bindings receive it: like [`duration`] (greater than zero), and
/// `+inf` means no per-attempt limit ([`crate::NO_TIMEOUT`]), which is how the bindings pass
/// Python's `timeout=None` and JavaScript's `timeout: Infinity`.
pub fn timeout(
    argument: &'static str,
    value: f64,
    unit: DurationUnit,
) -> Result<std::time::Duration> {
    if value == f64::INFINITY {
        return Ok(crate::config::NO_TIMEOUT);
    }
    duration(argument, value, unit, false)
}

/// A duration as bindings receive it (a float in the language's unit): finite and greater than
/// zero, or also exactly zero when `zero_ok` (e.g. `max_rate_limit_wait = 0`: never wait). A
/// positive value too small for a `Duration` (under a nanosecond) would be zero, and is refused
/// like zero.
pub fn duration(
    argument: &'static str,
    value: f64,
    unit: DurationUnit,
    zero_ok: bool,
) -> Result<std::time::Duration> {
    let (seconds, unit_name) = match unit {
        DurationUnit::Seconds => (value, "seconds"),
        DurationUnit::Milliseconds => (value / 1000.0, "milliseconds"),
    };
    let allowed = if zero_ok {
        seconds >= 0.0
    } else {
        seconds > 0.0
    };
    // Huge values as `1.0e300`, not three hundred digits (by hand: `{:e}` would add core's
    // exponent formatter, kilobytes of the WebAssembly module, for this message alone).
    let shown = if value.is_finite() && value.abs() >= 1e15 {
        let (mut mantissa, mut exponent) = (value.abs(), 0);
        while mantissa >= 10.0 {
            mantissa /= 10.0;
            exponent += 1;
        }
        let sign = if value < 0.0 { "-" } else { "" };
        format!("{sign}{mantissa:.1}e{exponent}")
    } else {
        value.to_string()
    };
    match std::time::Duration::try_from_secs_f64(seconds) {
        Ok(d) if allowed && value.is_finite() && (zero_ok || !d.is_zero()) => Ok(d),
        // Finite and positive, but beyond what a duration holds (about 5.8e11 years).
        Err(_) if allowed && value.is_finite() => Err(Error::out_of_range(
            argument,
            format!(
                "{argument} is too large a number of {unit_name}: at most {}, got {shown}",
                match unit {
                    DurationUnit::Seconds => "1.8e19",
                    DurationUnit::Milliseconds => "1.8e22",
                }
            ),
        )),
        _ => Err(Error::out_of_range(
            argument,
            format!(
                "{argument} must be a finite number of {unit_name} {}, got {shown}",
                if zero_ok {
                    "(zero or more)"
                } else {
                    "greater than zero"
                }
            ),
        )),
    }
}

/// A JSON object given as text: how the JavaScript bindings pass an object of extra body fields
/// (`JSON.stringify`'s output). `what` names it as the user wrote it, for the message; a value
/// that is not an object (a `toJSON` returning an array) is out of range.
pub fn json_object(
    argument: &'static str,
    what: &str,
    json: &str,
) -> Result<serde_json::Map<String, serde_json::Value>> {
    serde_json::from_str(json).map_err(|e| {
        Error::out_of_range(
            argument,
            format!("{what} must be an object of JSON values: {e}"),
        )
    })
}

/// A retry count as bindings receive it: a whole number from 0 to 2^32 - 1.
pub fn retries(argument: &'static str, value: f64) -> Result<u32> {
    if value.fract() == 0.0 && (0.0..=f64::from(u32::MAX)).contains(&value) {
        Ok(value as u32)
    } else {
        Err(Error::out_of_range(
            argument,
            format!(
                "{argument} must be a whole number from 0 to {}, got {value}",
                u32::MAX
            ),
        ))
    }
}

fn config_update_is_empty(config: &AgentConfigUpdate) -> bool {
    config.model.is_none()
        && config.system_prompt.is_none()
        && config.temperature.is_none()
        && config.max_tokens.is_none()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;
    use crate::models::AgentStatus;

    #[test]
    fn ids_that_could_escape_the_path_are_rejected() {
        for bad in ["", "../usage", "a/b?x", "agt 1", "agt%2F", "agt\n", "ägt"] {
            let e = agent_id(bad).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{bad:?}");
            assert_eq!(e.argument(), Some("id"));
        }
        assert!(agent_id("agt_abc-123").is_ok());
    }

    #[test]
    fn page_size_and_offset_bounds() {
        assert!(page_size("limit", 0).unwrap_err().is_out_of_range());
        assert!(page_size("limit", 101).is_err());
        assert_eq!(page_size("limit", 100).unwrap(), 100);
        assert!(offset(-1).unwrap_err().is_out_of_range());
        assert_eq!(offset(0).unwrap(), 0);
    }

    #[test]
    fn empty_or_out_of_range_updates_are_rejected() {
        assert!(update(&AgentUpdate::default()).is_err());
        let empty_config = AgentUpdate {
            config: Some(AgentConfigUpdate::default()),
            ..Default::default()
        };
        assert!(update(&empty_config).is_err());
        // Beside a name too: `"config": {}` would change nothing.
        let named_empty_config = AgentUpdate {
            name: Some("Renamed".into()),
            ..empty_config
        };
        assert_eq!(
            update(&named_empty_config).unwrap_err().argument(),
            Some("config")
        );
        let hot = AgentUpdate {
            config: Some(AgentConfigUpdate {
                temperature: Some(3.0),
                ..Default::default()
            }),
            ..Default::default()
        };
        assert_eq!(update(&hot).unwrap_err().argument(), Some("temperature"));
        let nan = AgentUpdate {
            config: Some(AgentConfigUpdate {
                temperature: Some(f64::NAN),
                ..Default::default()
            }),
            ..Default::default()
        };
        assert!(update(&nan).is_err());
        let odd_status = AgentUpdate {
            status: Some(AgentStatus::Other("archived".into())),
            ..Default::default()
        };
        assert_eq!(update(&odd_status).unwrap_err().argument(), Some("status"));
        assert!(
            update(&AgentUpdate {
                name: Some(" ".into()),
                ..Default::default()
            })
            .is_err()
        );
    }

    #[test]
    fn durations_must_be_finite_and_positive_in_the_bindings_unit() {
        use std::time::Duration;
        assert_eq!(
            duration("timeout", 1.5, DurationUnit::Seconds, false).unwrap(),
            Duration::from_millis(1500)
        );
        assert_eq!(
            duration("timeout", 250.0, DurationUnit::Milliseconds, false).unwrap(),
            Duration::from_millis(250)
        );
        for bad in [0.0, -1.0, f64::NAN, f64::INFINITY] {
            let e = duration("timeout", bad, DurationUnit::Seconds, false).unwrap_err();
            assert!(
                e.is_out_of_range() && e.message().contains("seconds"),
                "{bad}"
            );
        }
        // Positive, but less than a nanosecond: as zero.
        let tiny = duration("timeout", 1e-7, DurationUnit::Milliseconds, false).unwrap_err();
        assert!(tiny.is_out_of_range() && tiny.message().contains("greater than zero"));
        assert!(
            duration(
                "max_rate_limit_wait",
                1e-7,
                DurationUnit::Milliseconds,
                true
            )
            .is_ok()
        );
        assert!(duration("max_rate_limit_wait", 0.0, DurationUnit::Seconds, true).is_ok());
        assert!(duration("max_rate_limit_wait", -0.5, DurationUnit::Seconds, true).is_err());
        // Finite and positive but beyond a Duration: said so, and shown short.
        let huge = duration("timeout", 1e300, DurationUnit::Seconds, false).unwrap_err();
        assert!(huge.is_out_of_range());
        assert!(
            huge.message().contains("too large") && huge.message().ends_with("got 1.0e300"),
            "{huge}"
        );
    }

    #[test]
    fn json_objects_only() {
        let fields = json_object("body", "options.body", r#"{"a":1,"b":[true]}"#).unwrap();
        assert_eq!(fields.len(), 2);
        for bad in ["[1]", "1", "{", r#"{"x":NaN}"#] {
            let e = json_object("body", "options.body", bad).unwrap_err();
            assert_eq!(e.argument(), Some("body"), "{bad}");
            assert!(e.is_out_of_range() && e.message().starts_with("options.body must"));
        }
    }

    #[test]
    fn retry_counts_are_whole_and_non_negative() {
        assert_eq!(retries("max_retries", 3.0).unwrap(), 3);
        for bad in [-1.0, 0.5, f64::NAN, 1e12] {
            assert!(
                retries("max_retries", bad).unwrap_err().is_out_of_range(),
                "{bad}"
            );
        }
    }

    #[test]
    fn blank_messages_are_rejected() {
        assert!(message("").is_err());
        assert!(message("  \n").is_err());
        assert!(message("hi").is_ok());
    }
}
