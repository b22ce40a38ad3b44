//! The models' hand-written decoders (`src/models/deserialize.rs`) against the derive they replaced (`benches/old_models.rs`, the
//! frozen copy): on valid bodies, bodies with fields missing, retyped, unknown, repeated or
//! `null`, both must accept the same bodies, build the same values, and fail with the same
//! message (the position in it aside).

use proptest::prelude::*;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

#[path = "../benches/old_models.rs"]
mod old_models;

fn agent() -> Value {
    json!({
        "id": "agt_abc123", "name": "Customer Support Agent", "status": "active",
        "safety_mode": true, "template": "customer-support", "total_runs": 1284,
        "last_active": "2026-03-15T08:30:00Z", "created_at": "2026-01-10T14:00:00+02:00",
    })
}

fn detail() -> Value {
    let mut a = agent();
    a["config"] =
        json!({"model": "m", "system_prompt": "p", "temperature": 0.7, "max_tokens": 2048});
    a["channels"] = json!(["webchat", "email"]);
    a
}

fn run(i: u64) -> Value {
    json!({"id": format!("run_{i}"), "status": "completed", "tokens_used": 100 + i,
           "cost": 0.0123, "duration_ms": 2345, "created_at": "2026-03-15T08:30:00.123456Z"})
}

fn page() -> Value {
    json!({"runs": [run(1), run(2), run(3)], "total": 1284, "limit": 3, "offset": 0})
}

/// Both decoders on `body`: the same outcome, compared through `Debug` (the structs have the
/// same names and fields); when both fail and `one_defect`, the same message. (With several
/// defects the two may name different ones first: the derive buffered the whole object and
/// then looked for missing fields, these read the object in order.)
fn same<New: DeserializeOwned + std::fmt::Debug, Old: DeserializeOwned + std::fmt::Debug>(
    body: &str,
    one_defect: bool,
) -> Result<(), TestCaseError> {
    let new = serde_json::from_str::<New>(body).map(|v| format!("{v:?}"));
    let old = serde_json::from_str::<Old>(body).map(|v| format!("{v:?}"));
    match (new, old) {
        (Ok(a), Ok(b)) => prop_assert_eq!(a, b, "{}", body),
        (Err(a), Err(b)) if one_defect => {
            let (a, b) = (without_position(&a), without_position(&b));
            // A status that is not a string: the derive's words were "data did not match any
            // variant of untagged enum AgentStatus"; now the error says what was expected.
            if b.contains("untagged enum AgentStatus") {
                prop_assert!(a.starts_with("invalid type: "), "{a}");
            } else {
                prop_assert_eq!(a, b, "{}", body);
            }
        }
        (Err(_), Err(_)) => {}
        (a, b) => prop_assert!(false, "{body}: new {a:?}, before {b:?}"),
    }
    Ok(())
}

fn without_position(e: &serde_json::Error) -> String {
    let message = e.to_string();
    match message.rsplit_once(" at line ") {
        Some((head, _)) => head.to_owned(),
        None => message,
    }
}

/// A JSON value of any kind, for retyping a field.
fn any_value() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        (-1e9f64..1e9).prop_map(Value::from),
        "[a-z0-9:T.+-]{0,24}".prop_map(Value::from),
        Just(json!("2026-03-15T08:30:00Z")),
        Just(json!("active")),
        Just(json!([1, "x"])),
        Just(json!({"k": [null]})),
    ]
}

/// One mutation of an object's field (by index among its keys, so every field gets picked).
#[derive(Debug, Clone)]
enum Mutation {
    Remove(usize),
    Retype(usize, Value),
    Unknown(String, Value),
    Repeat(usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        any::<usize>().prop_map(Mutation::Remove),
        (any::<usize>(), any_value()).prop_map(|(i, v)| Mutation::Retype(i, v)),
        ("[a-z_]{1,12}", any_value()).prop_map(|(k, v)| Mutation::Unknown(k, v)),
        any::<usize>().prop_map(Mutation::Repeat),
    ]
}

/// `object` with the mutations applied, as text (a repeated key cannot live in a `Value`).
fn mutated(object: &Value, mutations: &[Mutation]) -> String {
    let mut fields: Vec<(String, Value)> = object
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    for m in mutations {
        let n = fields.len().max(1);
        match m {
            Mutation::Remove(i) if !fields.is_empty() => drop(fields.remove(i % n)),
            Mutation::Retype(i, v) if !fields.is_empty() => fields[i % n].1 = v.clone(),
            Mutation::Unknown(k, v) => fields.push((k.clone(), v.clone())),
            Mutation::Repeat(i) if !fields.is_empty() => {
                let f = fields[i % n].clone();
                fields.push(f);
            }
            _ => {}
        }
    }
    let body: Vec<String> = fields
        .iter()
        .map(|(k, v)| format!("{}:{}", Value::from(k.as_str()), v))
        .collect();
    format!("{{{}}}", body.join(","))
}

#[test]
fn valid_bodies_decode_to_the_same_values_as_before() {
    same::<delegir::Agent, old_models::Agent>(&agent().to_string(), true).unwrap();
    same::<delegir::AgentDetail, old_models::AgentDetail>(&detail().to_string(), true).unwrap();
    same::<delegir::RunPage, old_models::RunPage>(&page().to_string(), true).unwrap();
    let chat = json!({"response": "hi", "runId": "run_1", "tokensUsed": 5, "mood": {"x": 1}});
    same::<delegir::ChatReply, old_models::ChatReply>(&chat.to_string(), true).unwrap();
}

#[test]
fn unknown_fields_are_kept_in_extra() {
    let mut a = detail();
    a["mood"] = json!({"level": [1, 2.5, null]});
    a["config"]["top_p"] = json!(0.9);
    let d: delegir::AgentDetail = serde_json::from_value(a).unwrap();
    assert_eq!(d.agent.extra["mood"], json!({"level": [1, 2.5, null]}));
    assert_eq!(d.config.extra["top_p"], json!(0.9));
    assert!(!d.agent.extra.contains_key("config"));
}

#[test]
fn arrays_and_scalars_are_not_models() {
    for body in ["[]", "[1]", "1", "\"x\"", "null"] {
        same::<delegir::Run, old_models::Run>(body, true).unwrap();
        same::<delegir::Agent, old_models::Agent>(body, true).unwrap();
    }
}

/// The edges of the fast path for the API's own form (`2026-03-15T08:30:00Z`): each decodes,
/// or fails with the same words, as the old decoding (time's RFC 3339 parser) does.
#[test]
fn usual_timestamps_at_their_edges_decode_as_before() {
    for stamp in [
        "0000-01-01T00:00:00Z",
        "9999-12-31T23:59:59Z",
        "2024-02-29T23:59:59Z",
        "2023-02-29T00:00:00Z",
        "2100-02-29T00:00:00Z",
        "2000-02-29T00:00:00Z",
        "2026-04-31T00:00:00Z",
        "2026-00-10T00:00:00Z",
        "2026-13-10T00:00:00Z",
        "2026-01-00T00:00:00Z",
        "2026-12-31T23:59:60Z",
        "2026-06-30T23:59:60Z",
        "2026-03-15T24:00:00Z",
        "2026-03-15T08:60:00Z",
        "2026-03-15T08:30:00z",
        "2026-03-15t08:30:00Z",
        "2026-03-15 08:30:00Z",
        "2026-03-15T08:30:00.5Z",
        "2026-03-15T08:30:00+00:00",
        "2026-03-15T08:30:0Z",
        "2026-03-15T08:30:00ZZ",
        "2026-3-15T08:30:00Z",
        "20a6-03-15T08:30:00Z",
        "2026-03-15T08:30:/0Z",
        "2026-03-15T08:30:00\u{e9}",
    ] {
        let mut r = run(1);
        r["created_at"] = Value::from(stamp);
        same::<delegir::Run, old_models::Run>(&r.to_string(), true).unwrap();
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn mutated_agents_decode_as_before(m in prop::collection::vec(mutation(), 0..4)) {
        same::<delegir::Agent, old_models::Agent>(&mutated(&agent(), &m), m.len() <= 1)?;
    }

    #[test]
    fn mutated_details_decode_as_before(m in prop::collection::vec(mutation(), 0..4)) {
        same::<delegir::AgentDetail, old_models::AgentDetail>(&mutated(&detail(), &m), m.len() <= 1)?;
    }

    #[test]
    fn mutated_runs_decode_as_before(m in prop::collection::vec(mutation(), 0..4)) {
        same::<delegir::Run, old_models::Run>(&mutated(&run(7), &m), m.len() <= 1)?;
    }

    #[test]
    fn mutated_pages_decode_as_before(m in prop::collection::vec(mutation(), 0..4)) {
        same::<delegir::RunPage, old_models::RunPage>(&mutated(&page(), &m), m.len() <= 1)?;
    }

    #[test]
    fn timestamps_near_the_usual_form_decode_as_before(
        parts in (
            0u32..10_000, 0u32..14, 0u32..33, 0u32..26, 0u32..62, 0u32..62,
            prop::option::of("[0-9]{0,12}"),
            prop_oneof![
                Just("Z".to_owned()), Just("z".to_owned()), Just(String::new()),
                (prop_oneof![Just('+'), Just('-')], 0u32..26, 0u32..62)
                    .prop_map(|(s, h, m)| format!("{s}{h:02}:{m:02}")),
            ],
            prop_oneof![Just('T'), Just('t'), Just(' ')],
        )
    ) {
        let (year, month, day, hour, minute, second, fraction, offset, t) = parts;
        let fraction = fraction.map(|f| format!(".{f}")).unwrap_or_default();
        let stamp = format!(
            "{year:04}-{month:02}-{day:02}{t}{hour:02}:{minute:02}:{second:02}{fraction}{offset}"
        );
        let mut r = run(1);
        r["created_at"] = Value::from(stamp);
        same::<delegir::Run, old_models::Run>(&r.to_string(), true)?;
    }
}
