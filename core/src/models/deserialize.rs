//! `Deserialize` for the models that keep unknown fields in `extra`, without serde's `flatten`.
//!
//! serde's derive, given a `#[serde(flatten)]` field, buffers every key and value of the object
//! into an intermediate tree first and then deserializes the struct from that tree: a 100-run page
//! made ~800 small allocations that were thrown away at once. These impls read each key, match it
//! against the model's own names (a borrowed `&str`, no allocation), deserialize a known field
//! straight into its type and only build a `serde_json::Value` for a key they do not know.
//! Timestamps are parsed from the borrowed string with `time`'s RFC 3339 parser, also without an
//! allocation.
//!
//! The rules are those of the derive they replace: an object only (not an array), a missing
//! required field is "missing field `x`", a repeated known field is "duplicate field `x`", a
//! missing or `null` optional field is `None`, and every error message of a field's own type
//! (`invalid type: ...`) is the one its `Deserialize` gives.

use std::fmt;

use serde::de::{self, Deserialize, DeserializeSeed, Deserializer, MapAccess, Visitor};
use serde_json::Value;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::{
    Agent, AgentConfig, AgentDetail, AgentStatus, ChatReply, DeletedAgent, Extra, Run, RunPage,
    UpdatedAgent, Usage,
};

/// How a field is read from the wire and what its absence means.
trait Field: Sized {
    /// What is deserialized from the wire.
    type Wire: for<'de> Deserialize<'de>;
    /// The wire value as the model's type.
    fn from_wire(wire: Self::Wire) -> Self;
    /// The value when the key is absent: an error unless the field is optional.
    fn missing<E: de::Error>(name: &'static str) -> Result<Self, E> {
        Err(E::missing_field(name))
    }
}

/// Fields read as themselves.
macro_rules! plain_fields {
    ($($t:ty),* $(,)?) => {$(
        impl Field for $t {
            type Wire = $t;
            fn from_wire(wire: $t) -> $t {
                wire
            }
        }
    )*};
}

plain_fields!(
    String,
    bool,
    u32,
    u64,
    f64,
    Vec<String>,
    Vec<Run>,
    AgentStatus,
    AgentConfig
);

impl<T: Field> Field for Option<T> {
    type Wire = Option<T::Wire>;
    fn from_wire(wire: Option<T::Wire>) -> Option<T> {
        wire.map(T::from_wire)
    }
    fn missing<E: de::Error>(_: &'static str) -> Result<Self, E> {
        Ok(None)
    }
}

/// An RFC 3339 date-time, parsed from the borrowed string.
struct Timestamp(OffsetDateTime);

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Timestamp, D::Error> {
        struct TimestampVisitor;
        impl Visitor<'_> for TimestampVisitor {
            type Value = Timestamp;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                // The words of `time::serde::rfc3339`, which these fields used before.
                f.write_str("an RFC3339-formatted `OffsetDateTime`")
            }
            fn visit_str<E: de::Error>(self, value: &str) -> Result<Timestamp, E> {
                if let Some(at) = usual_timestamp(value.as_bytes()) {
                    return Ok(Timestamp(at));
                }
                OffsetDateTime::parse(value, &Rfc3339)
                    .map(Timestamp)
                    .map_err(E::custom)
            }
        }
        deserializer.deserialize_str(TimestampVisitor)
    }
}

/// The API's own form of a timestamp, `2026-03-15T08:30:00Z`, read directly: `time`'s RFC 3339
/// parser, which reads every form (fractions, offsets, `t`/`z`, leap seconds), cost about a
/// third more per timestamp, and a page has 100 of them. Anything else, valid or not, is left to
/// that parser (`None`), so it alone gives every other value and every error message
/// (tests/model_decoding.rs compares both with the old decoding).
pub(super) fn usual_timestamp(text: &[u8]) -> Option<OffsetDateTime> {
    usual_timestamp_after(text, &mut None)
}

/// The date of the last timestamp read, by its ten bytes (`2026-03-15`).
pub(super) type LastDate = Option<([u8; 10], time::Date)>;

/// [`usual_timestamp`], reusing the date of the one read before it when its ten bytes are the
/// same (`last`, updated): the runs of a page mostly share their day, and the date's checks
/// (`from_calendar_date`) were about a third of the work.
pub(super) fn usual_timestamp_after(text: &[u8], last: &mut LastDate) -> Option<OffsetDateTime> {
    let text: &[u8; 20] = text.try_into().ok()?;
    if [text[4], text[7], text[10], text[13], text[16], text[19]] != *b"--T::Z" {
        return None;
    }
    // Two decimal digits at `i` as a number.
    let two = |i: usize| {
        let (tens, ones) = (text[i].wrapping_sub(b'0'), text[i + 1].wrapping_sub(b'0'));
        (tens < 10 && ones < 10).then(|| tens * 10 + ones)
    };
    let day: &[u8; 10] = text[..10].try_into().ok()?;
    let date = match last {
        Some((bytes, date)) if bytes == day => *date,
        _ => {
            let year = i32::from(two(0)?) * 100 + i32::from(two(2)?);
            let month = time::Month::try_from(two(5)?).ok()?;
            let date = time::Date::from_calendar_date(year, month, two(8)?).ok()?;
            *last = Some((*day, date));
            date
        }
    };
    // Second 60 (a leap second, which the parser handles) is refused here and left to it.
    let time = time::Time::from_hms(two(11)?, two(14)?, two(17)?).ok()?;
    Some(time::PrimitiveDateTime::new(date, time).assume_utc())
}

impl Field for OffsetDateTime {
    type Wire = Timestamp;
    fn from_wire(wire: Timestamp) -> OffsetDateTime {
        wire.0
    }
}

impl<'de> Deserialize<'de> for AgentStatus {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<AgentStatus, D::Error> {
        struct StatusVisitor;
        impl Visitor<'_> for StatusVisitor {
            type Value = AgentStatus;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an agent status such as \"active\" or \"paused\"")
            }
            fn visit_str<E: de::Error>(self, value: &str) -> Result<AgentStatus, E> {
                Ok(match value {
                    "active" => AgentStatus::Active,
                    "paused" => AgentStatus::Paused,
                    other => AgentStatus::Other(other.to_owned()),
                })
            }
        }
        deserializer.deserialize_str(StatusVisitor)
    }
}

/// A key of an object: one of the model's fields, or an unknown key (owned: `extra` keeps it).
enum Key<K> {
    Known(K),
    Unknown(String),
}

/// Reads one key and matches it with the model's `known` function, without allocating unless
/// it is unknown.
struct KeySeed<K>(fn(&str) -> Option<K>);

impl<'de, K> DeserializeSeed<'de> for KeySeed<K> {
    type Value = Key<K>;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Key<K>, D::Error> {
        deserializer.deserialize_identifier(self)
    }
}

impl<K> Visitor<'_> for KeySeed<K> {
    type Value = Key<K>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a field name")
    }
    fn visit_str<E: de::Error>(self, key: &str) -> Result<Key<K>, E> {
        Ok(match (self.0)(key) {
            Some(known) => Key::Known(known),
            None => Key::Unknown(key.to_owned()),
        })
    }
}

/// An unknown field's value, kept in `extra`.
fn keep<'de, A: MapAccess<'de>>(
    map: &mut A,
    extra: &mut Extra,
    key: String,
) -> Result<(), A::Error> {
    let value = map.next_value::<Value>()?;
    extra.insert(key, value);
    Ok(())
}

/// `Deserialize` for a model: its wire names, the type of each, and how to build it from the
/// fields (bound to the names given) and `extra`.
macro_rules! deserialize_model {
    (
        $model:ident, $expecting:literal,
        { $($field:ident : $ty:ty = $wire:literal),* $(,)? },
        |$extra:ident| $build:expr
    ) => {
        impl<'de> Deserialize<'de> for $model {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<$model, D::Error> {
                /// The model's fields, one variant each.
                #[allow(non_camel_case_types)]
                enum Known {
                    $($field),*
                }
                fn known(key: &str) -> Option<Known> {
                    match key {
                        $($wire => Some(Known::$field),)*
                        _ => None,
                    }
                }
                struct ModelVisitor;
                impl<'de> Visitor<'de> for ModelVisitor {
                    type Value = $model;
                    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                        f.write_str($expecting)
                    }
                    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<$model, A::Error> {
                        $(let mut $field: Option<<$ty as Field>::Wire> = None;)*
                        let mut $extra = Extra::new();
                        while let Some(key) = map.next_key_seed(KeySeed(known))? {
                            match key {
                                Key::Unknown(key) => keep(&mut map, &mut $extra, key)?,
                                $(Key::Known(Known::$field) => {
                                    if $field.is_some() {
                                        return Err(de::Error::duplicate_field($wire));
                                    }
                                    $field = Some(map.next_value()?);
                                })*
                            }
                        }
                        $(
                            let $field: $ty = match $field {
                                Some(wire) => <$ty as Field>::from_wire(wire),
                                None => <$ty as Field>::missing($wire)?,
                            };
                        )*
                        Ok($build)
                    }
                }
                deserializer.deserialize_map(ModelVisitor)
            }
        }
    };
}

deserialize_model!(Agent, "struct Agent", {
    id: String = "id",
    name: String = "name",
    status: AgentStatus = "status",
    safety_mode: bool = "safety_mode",
    template: Option<String> = "template",
    total_runs: u64 = "total_runs",
    last_active: Option<OffsetDateTime> = "last_active",
    created_at: OffsetDateTime = "created_at",
}, |extra| Agent { id, name, status, safety_mode, template, total_runs, last_active, created_at, extra });

deserialize_model!(AgentConfig, "struct AgentConfig", {
    model: Option<String> = "model",
    system_prompt: Option<String> = "system_prompt",
    temperature: Option<f64> = "temperature",
    max_tokens: Option<u64> = "max_tokens",
}, |extra| AgentConfig { model, system_prompt, temperature, max_tokens, extra });

deserialize_model!(AgentDetail, "struct AgentDetail", {
    id: String = "id",
    name: String = "name",
    status: AgentStatus = "status",
    safety_mode: bool = "safety_mode",
    template: Option<String> = "template",
    total_runs: u64 = "total_runs",
    last_active: Option<OffsetDateTime> = "last_active",
    created_at: OffsetDateTime = "created_at",
    config: AgentConfig = "config",
    channels: Vec<String> = "channels",
}, |extra| AgentDetail {
    agent: Agent { id, name, status, safety_mode, template, total_runs, last_active, created_at, extra },
    config,
    channels,
});

deserialize_model!(UpdatedAgent, "struct UpdatedAgent", {
    id: String = "id",
    name: String = "name",
    status: AgentStatus = "status",
    updated_at: OffsetDateTime = "updated_at",
}, |extra| UpdatedAgent { id, name, status, updated_at, extra });

deserialize_model!(DeletedAgent, "struct DeletedAgent", {
    deleted: bool = "deleted",
    id: String = "id",
}, |extra| DeletedAgent { deleted, id, extra });

deserialize_model!(ChatReply, "struct ChatReply", {
    response: String = "response",
    run_id: String = "runId",
    tokens_used: u64 = "tokensUsed",
}, |extra| ChatReply { response, run_id, tokens_used, extra });

deserialize_model!(Run, "struct Run", {
    id: String = "id",
    status: String = "status",
    tokens_used: u64 = "tokens_used",
    cost: f64 = "cost",
    duration_ms: u64 = "duration_ms",
    created_at: OffsetDateTime = "created_at",
}, |extra| Run { id, status, tokens_used, cost, duration_ms, created_at, extra });

deserialize_model!(RunPage, "struct RunPage", {
    runs: Vec<Run> = "runs",
    total: u64 = "total",
    limit: u32 = "limit",
    offset: u64 = "offset",
}, |extra| RunPage { runs, total, limit, offset, extra });

deserialize_model!(Usage, "struct Usage", {
    plan: String = "plan",
    runs_used: u64 = "runs_used",
    runs_limit: u64 = "runs_limit",
    tokens_this_month: u64 = "tokens_this_month",
    cost_this_month: f64 = "cost_this_month",
    billing_period_start: OffsetDateTime = "billing_period_start",
    billing_period_end: OffsetDateTime = "billing_period_end",
}, |extra| Usage {
    plan,
    runs_used,
    runs_limit,
    tokens_this_month,
    cost_this_month,
    billing_period_start,
    billing_period_end,
    extra,
});
