//! The core's models on their way to Python: built directly as the Pydantic models of
//! `delegir.types`, with no second parse.
//!
//! The core parses and validates the body once (it alone decides whether a response is valid);
//! here its structs become the Pydantic instances the way Pydantic's own validator makes them:
//! `object.__new__(Model)`, then the instance's `__dict__` (the declared fields),
//! `__pydantic_extra__` (unknown fields), `__pydantic_fields_set__` (every field present) and
//! `__pydantic_private__` (`None`). Timestamps are aware `datetime`s with Pydantic's own
//! `TzInfo`, so a model is equal to what `Model.model_validate_json` makes of the same `data`
//! (tests/test_models.py checks that). The profile this replaced (bench/README.md): serde's
//! parse, then serde's serialisation to JSON bytes, then Pydantic's `model_validate_json` of
//! them — three passes, the last two under the GIL on the event loop's thread for Pydantic.
//!
//! Errors travel the same way: [`Reply`] is the value the async bridge and the blocking path
//! turn into Python, and its conversion raises the mapped exception for an `Err`.

use delegir::{
    Agent, AgentConfig, AgentDetail, ChatReply, DeletedAgent, Extra, Run, RunPage, UpdatedAgent,
    Usage,
};
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use std::os::raw::c_int;

use pyo3::types::{PyDateTime, PyDict, PyList, PyModule, PySet, PyString, PyType, PyTzInfo};
use serde_json::Value;
use time::OffsetDateTime;

use crate::error::to_pyerr;

/// A call's result, ready to become Python objects on a thread that holds the GIL.
pub(crate) trait ToPython: Send + 'static {
    /// The Python value (a model, a list of models, `None`).
    fn to_python<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>>;

    /// About how many models `to_python` builds (the completion's drain budgets them).
    fn weight(&self) -> usize {
        1
    }
}

/// A finished call: its result, or the core's error.
pub(crate) struct Reply(pub delegir::Result<Box<dyn ToPython>>);

impl Reply {
    /// Wraps a call's result.
    pub(crate) fn from_result<T: ToPython>(result: delegir::Result<T>) -> Reply {
        Reply(result.map(|value| Box::new(value) as Box<dyn ToPython>))
    }
}

impl Reply {
    /// About how many models the reply becomes (1 for an error).
    pub(crate) fn weight(&self) -> usize {
        self.0.as_ref().map_or(1, |value| value.weight())
    }
}

impl<'py> IntoPyObject<'py> for Reply {
    type Target = PyAny;
    type Output = Bound<'py, PyAny>;
    type Error = PyErr;

    fn into_pyobject(self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        match self.0 {
            Ok(value) => value.to_python(py),
            Err(e) => Err(to_pyerr(py, e)),
        }
    }
}

/// `(limit, remaining, reset)` of a [`delegir::RateLimit`], for `delegir.types.RateLimit`.
pub(crate) fn rate_limit(rl: Option<delegir::RateLimit>) -> Option<(u64, u64, i64)> {
    rl.map(|r| (r.limit, r.remaining, r.reset))
}

/// One model class of `delegir.types` with templates of its instances' `__dict__` (the
/// declared fields, in order, all `None`) and `__pydantic_fields_set__`: an instance's dict is a
/// copy of the template (allocated at its final size, the keys already in place) whose values
/// are then replaced, and its fields set a copy of the template set.
struct ModelClass {
    class: Py<PyType>,
    fields: Py<PyDict>,
    fields_set: Py<PySet>,
}

impl ModelClass {
    fn new(
        py: Python<'_>,
        types: &Bound<'_, PyModule>,
        name: &str,
        fields: &[&str],
    ) -> PyResult<Self> {
        let class = types.getattr(name)?.cast_into::<PyType>()?.unbind();
        let dict = PyDict::new(py);
        for field in fields {
            dict.set_item(PyString::intern(py, field), py.None())?;
        }
        let set = PySet::new(py, dict.keys())?.unbind();
        Ok(ModelClass {
            class,
            fields: dict.unbind(),
            fields_set: set,
        })
    }

    /// A copy of the template `__dict__`, for the instance's values.
    fn dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        // SAFETY: PyDict_Copy of a dict we own returns a new reference (or NULL with an error).
        unsafe {
            Bound::from_owned_ptr_or_err(py, pyo3::ffi::PyDict_Copy(self.fields.as_ptr()))
                .map(|d| d.cast_into_unchecked())
        }
    }
}

/// The classes of `delegir.types` and what every model needs, made once.
struct Classes {
    agent: ModelClass,
    agent_config: ModelClass,
    agent_detail: ModelClass,
    updated_agent: ModelClass,
    deleted_agent: ModelClass,
    chat_reply: ModelClass,
    run: ModelClass,
    run_page: ModelClass,
    usage: ModelClass,
    /// `pydantic_core.TzInfo`, the tzinfo Pydantic gives parsed timestamps.
    tz_info: Py<PyAny>,
    /// `TzInfo(0)`: the API's timestamps are UTC.
    utc: Py<PyAny>,
    datetime_api: Option<DateTimeApi>,
    strings: StringCache,
}

/// Short strings that repeat from call to call (an agent's name, status, template, model,
/// prompt, channels) shared as one Python `str`, as Pydantic's JSON parser does with its string
/// cache: without it each of 10,000 `AgentDetail`s kept its own copies, 0.5 KiB more per model
/// than Pydantic's (tracemalloc). A direct-mapped table: a slot holds the last string that hashed
/// to it; a miss makes a new `str` and takes the slot.
struct StringCache {
    slots: std::sync::Mutex<Vec<Option<CachedString>>>,
}

/// A cached string: its text and the Python `str` of it.
type CachedString = (Box<str>, Py<PyString>);

/// Slots of the cache, and the longest string it keeps.
const STRING_CACHE_SLOTS: usize = 1024;
const STRING_CACHE_MAX_LEN: usize = 64;

impl StringCache {
    fn new() -> StringCache {
        StringCache {
            slots: std::sync::Mutex::new((0..STRING_CACHE_SLOTS).map(|_| None).collect()),
        }
    }

    /// `text` as a Python `str`, shared with earlier calls when it was seen before.
    fn get<'py>(&self, py: Python<'py>, text: &str) -> Bound<'py, PyString> {
        if text.len() > STRING_CACHE_MAX_LEN {
            return PyString::new(py, text);
        }
        // FNV-1a: short keys, no allocation, no per-process seed needed (nothing to attack:
        // a collision only costs a miss).
        let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
        for byte in text.bytes() {
            hash = (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
        }
        let slot = (hash as usize) % STRING_CACHE_SLOTS;
        // Only ever locked with the GIL held: never contended.
        let mut slots = self.slots.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((key, value)) = &slots[slot]
            && **key == *text
        {
            return value.bind(py).clone();
        }
        let value = PyString::new(py, text);
        slots[slot] = Some((text.into(), value.clone().unbind()));
        value
    }
}

const AGENT_FIELDS: [&str; 8] = [
    "id",
    "name",
    "status",
    "safety_mode",
    "template",
    "total_runs",
    "last_active",
    "created_at",
];

fn classes(py: Python<'_>) -> PyResult<&Classes> {
    static CLASSES: PyOnceLock<Classes> = PyOnceLock::new();
    CLASSES.get_or_try_init(py, || {
        let t = py.import("delegir.types")?;
        let detail_fields: Vec<&str> = AGENT_FIELDS
            .iter()
            .copied()
            .chain(["config", "channels"])
            .collect();
        let tz_info = py.import("pydantic_core")?.getattr("TzInfo")?;
        let utc = tz_info.call1((0,))?.unbind();
        Ok(Classes {
            agent: ModelClass::new(py, &t, "Agent", &AGENT_FIELDS)?,
            agent_config: ModelClass::new(
                py,
                &t,
                "AgentConfig",
                &["model", "system_prompt", "temperature", "max_tokens"],
            )?,
            agent_detail: ModelClass::new(py, &t, "AgentDetail", &detail_fields)?,
            updated_agent: ModelClass::new(
                py,
                &t,
                "UpdatedAgent",
                &["id", "name", "status", "updated_at"],
            )?,
            deleted_agent: ModelClass::new(py, &t, "DeletedAgent", &["deleted", "id"])?,
            chat_reply: ModelClass::new(
                py,
                &t,
                "ChatReply",
                &["response", "run_id", "tokens_used"],
            )?,
            run: ModelClass::new(
                py,
                &t,
                "Run",
                &[
                    "id",
                    "status",
                    "tokens_used",
                    "cost",
                    "duration_ms",
                    "created_at",
                ],
            )?,
            run_page: ModelClass::new(py, &t, "RunPage", &["runs", "total", "limit", "offset"])?,
            usage: ModelClass::new(
                py,
                &t,
                "Usage",
                &[
                    "plan",
                    "runs_used",
                    "runs_limit",
                    "tokens_this_month",
                    "cost_this_month",
                    "billing_period_start",
                    "billing_period_end",
                ],
            )?,
            tz_info: tz_info.unbind(),
            utc,
            datetime_api: DateTimeApi::import(py),
            strings: StringCache::new(),
        })
    })
}

/// A Pydantic model instance of `model` whose `__dict__` is `fields` (a copy of the class's
/// template with every value set) and whose extra fields are `extra`, made as Pydantic's
/// validator makes it (no `__init__`, no validation: the core has validated).
fn model<'py>(
    py: Python<'py>,
    model: &ModelClass,
    fields: Bound<'py, PyDict>,
    extra: &Extra,
) -> PyResult<Bound<'py, PyAny>> {
    // SAFETY: the class is a heap type subclassing `object` with no `__new__` of its own, whose
    // `tp_alloc` is PyType_GenericAlloc: what `object.__new__(cls)` calls. Each call returns a
    // new reference or NULL with an error; PySet_New copies the template set.
    let (instance, fields_set) = unsafe {
        let instance = Bound::from_owned_ptr_or_err(
            py,
            pyo3::ffi::PyType_GenericAlloc(model.class.as_ptr().cast(), 0),
        )?;
        let fields_set =
            Bound::from_owned_ptr_or_err(py, pyo3::ffi::PySet_New(model.fields_set.as_ptr()))?;
        (instance, fields_set)
    };
    let extra = extra_dict(py, extra)?;
    for key in extra.keys() {
        fields_set.call_method1(intern!(py, "add"), (key,))?;
    }
    force_setattr(&instance, intern!(py, "__dict__"), fields.as_any())?;
    force_setattr(&instance, intern!(py, "__pydantic_extra__"), extra.as_any())?;
    force_setattr(
        &instance,
        intern!(py, "__pydantic_fields_set__"),
        &fields_set,
    )?;
    force_setattr(
        &instance,
        intern!(py, "__pydantic_private__"),
        &py.None().into_bound(py),
    )?;
    Ok(instance)
}

/// `object.__setattr__(instance, name, value)`: past `BaseModel.__setattr__`, as Pydantic
/// itself sets these slots.
fn force_setattr<'py>(
    instance: &Bound<'py, PyAny>,
    name: &Bound<'py, PyString>,
    value: &Bound<'py, PyAny>,
) -> PyResult<()> {
    // SAFETY: three valid borrowed references; PyObject_GenericSetAttr does not steal them.
    let status = unsafe {
        pyo3::ffi::PyObject_GenericSetAttr(instance.as_ptr(), name.as_ptr(), value.as_ptr())
    };
    if status == 0 {
        Ok(())
    } else {
        Err(PyErr::fetch(instance.py()))
    }
}

/// The `datetime` module's C API (the `datetime.datetime_CAPI` capsule): its layout is fixed
/// and only ever extended (CPython's `datetime.h`); the fields used here are there since 3.7.
/// pyo3 offers the capsule only to non-abi3 builds; an abi3 build would otherwise make each
/// `datetime` with a Python-level call (8 arguments parsed from a tuple): a third of the cost of
/// building a `Run`.
#[repr(C)]
struct DateTimeCapi {
    date_type: *mut pyo3::ffi::PyTypeObject,
    datetime_type: *mut pyo3::ffi::PyTypeObject,
    time_type: *mut pyo3::ffi::PyTypeObject,
    delta_type: *mut pyo3::ffi::PyTypeObject,
    tzinfo_type: *mut pyo3::ffi::PyTypeObject,
    timezone_utc: *mut pyo3::ffi::PyObject,
    date_from_date: unsafe extern "C" fn(
        c_int,
        c_int,
        c_int,
        *mut pyo3::ffi::PyTypeObject,
    ) -> *mut pyo3::ffi::PyObject,
    datetime_from_date_and_time: unsafe extern "C" fn(
        c_int,
        c_int,
        c_int,
        c_int,
        c_int,
        c_int,
        c_int,
        *mut pyo3::ffi::PyObject,
        *mut pyo3::ffi::PyTypeObject,
    ) -> *mut pyo3::ffi::PyObject,
}

/// The capsule, imported once (it lives as long as the interpreter).
struct DateTimeApi(&'static DateTimeCapi);

// SAFETY: the capsule is immutable static data of the `datetime` module; it is only used with
// the GIL held.
unsafe impl Send for DateTimeApi {}
unsafe impl Sync for DateTimeApi {}

impl DateTimeApi {
    fn import(py: Python<'_>) -> Option<DateTimeApi> {
        // SAFETY: PyCapsule_Import returns the capsule's pointer or NULL with an error set,
        // which is cleared here (the Python-level constructor is used then).
        let capi = unsafe {
            pyo3::ffi::PyCapsule_Import(c"datetime.datetime_CAPI".as_ptr(), 0)
                .cast::<DateTimeCapi>()
                .as_ref()
        };
        match capi {
            Some(capi) => Some(DateTimeApi(capi)),
            None => {
                drop(PyErr::take(py));
                None
            }
        }
    }
}

/// An aware `datetime` of `at`, with Pydantic's `TzInfo` as a parsed timestamp has it.
fn datetime<'py>(py: Python<'py>, c: &Classes, at: &OffsetDateTime) -> PyResult<Bound<'py, PyAny>> {
    let offset = at.offset().whole_seconds();
    let tz;
    let tz = if offset == 0 {
        c.utc.bind(py)
    } else {
        tz = c.tz_info.bind(py).call1((offset,))?;
        &tz
    };
    match &c.datetime_api {
        // SAFETY: the constructor of the C API with valid fields (`time` checked them) and a
        // borrowed tzinfo; it returns a new reference or NULL with an error.
        Some(api) => unsafe {
            Bound::from_owned_ptr_or_err(
                py,
                (api.0.datetime_from_date_and_time)(
                    at.year(),
                    c_int::from(u8::from(at.month())),
                    c_int::from(at.day()),
                    c_int::from(at.hour()),
                    c_int::from(at.minute()),
                    c_int::from(at.second()),
                    at.microsecond() as c_int,
                    tz.as_ptr(),
                    api.0.datetime_type,
                ),
            )
        },
        None => PyDateTime::new(
            py,
            at.year(),
            at.month() as u8,
            at.day(),
            at.hour(),
            at.minute(),
            at.second(),
            at.microsecond(),
            Some(tz.cast::<PyTzInfo>()?),
        )
        .map(Bound::into_any),
    }
}

fn extra_dict<'py>(py: Python<'py>, extra: &Extra) -> PyResult<Bound<'py, PyDict>> {
    let dict = PyDict::new(py);
    for (key, value) in extra {
        dict.set_item(key, json_value(py, value)?)?;
    }
    Ok(dict)
}

/// A JSON value as the Python value `json.loads` (and Pydantic) would give.
fn json_value<'py>(py: Python<'py>, value: &Value) -> PyResult<Bound<'py, PyAny>> {
    Ok(match value {
        Value::Null => py.None().into_bound(py),
        Value::Bool(b) => b.into_pyobject(py)?.to_owned().into_any(),
        Value::Number(n) => match (n.as_i64(), n.as_u64()) {
            (Some(i), _) => i.into_pyobject(py)?.into_any(),
            (None, Some(u)) => u.into_pyobject(py)?.into_any(),
            _ => n.as_f64().unwrap_or(f64::NAN).into_pyobject(py)?.into_any(),
        },
        Value::String(s) => PyString::new(py, s).into_any(),
        Value::Array(items) => {
            let list = PyList::empty(py);
            for item in items {
                list.append(json_value(py, item)?)?;
            }
            list.into_any()
        }
        Value::Object(map) => extra_dict(py, map)?.into_any(),
    })
}

fn agent_fields<'py>(
    py: Python<'py>,
    c: &Classes,
    class: &ModelClass,
    a: &Agent,
) -> PyResult<Bound<'py, PyDict>> {
    let d = class.dict(py)?;
    let text = |t: &str| c.strings.get(py, t);
    d.set_item(intern!(py, "id"), text(&a.id))?;
    d.set_item(intern!(py, "name"), text(&a.name))?;
    d.set_item(intern!(py, "status"), text(a.status.as_str()))?;
    d.set_item(intern!(py, "safety_mode"), a.safety_mode)?;
    d.set_item(intern!(py, "template"), a.template.as_deref().map(text))?;
    d.set_item(intern!(py, "total_runs"), a.total_runs)?;
    let last_active = match &a.last_active {
        Some(t) => datetime(py, c, t)?,
        None => py.None().into_bound(py),
    };
    d.set_item(intern!(py, "last_active"), last_active)?;
    d.set_item(intern!(py, "created_at"), datetime(py, c, &a.created_at)?)?;
    Ok(d)
}

fn agent<'py>(py: Python<'py>, c: &Classes, a: &Agent) -> PyResult<Bound<'py, PyAny>> {
    model(py, &c.agent, agent_fields(py, c, &c.agent, a)?, &a.extra)
}

fn agent_config<'py>(py: Python<'py>, c: &Classes, a: &AgentConfig) -> PyResult<Bound<'py, PyAny>> {
    let d = c.agent_config.dict(py)?;
    let text = |t: &str| c.strings.get(py, t);
    d.set_item(intern!(py, "model"), a.model.as_deref().map(text))?;
    d.set_item(
        intern!(py, "system_prompt"),
        a.system_prompt.as_deref().map(text),
    )?;
    d.set_item(intern!(py, "temperature"), a.temperature)?;
    d.set_item(intern!(py, "max_tokens"), a.max_tokens)?;
    model(py, &c.agent_config, d, &a.extra)
}

fn run<'py>(py: Python<'py>, c: &Classes, r: &Run) -> PyResult<Bound<'py, PyAny>> {
    let d = c.run.dict(py)?;
    d.set_item(intern!(py, "id"), &r.id)?;
    // Nearly every run has one of two statuses: the same interned string serves them all.
    let status = match r.status.as_str() {
        "completed" => intern!(py, "completed").clone(),
        "failed" => intern!(py, "failed").clone(),
        other => PyString::new(py, other),
    };
    d.set_item(intern!(py, "status"), status)?;
    d.set_item(intern!(py, "tokens_used"), r.tokens_used)?;
    d.set_item(intern!(py, "cost"), r.cost)?;
    d.set_item(intern!(py, "duration_ms"), r.duration_ms)?;
    d.set_item(intern!(py, "created_at"), datetime(py, c, &r.created_at)?)?;
    model(py, &c.run, d, &r.extra)
}

fn runs<'py>(py: Python<'py>, c: &Classes, runs: &[Run]) -> PyResult<Bound<'py, PyList>> {
    let built = runs
        .iter()
        .map(|r| run(py, c, r))
        .collect::<PyResult<Vec<_>>>()?;
    PyList::new(py, built)
}

impl ToPython for Vec<Agent> {
    fn weight(&self) -> usize {
        self.len()
    }

    fn to_python<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let c = classes(py)?;
        let built = self
            .iter()
            .map(|a| agent(py, c, a))
            .collect::<PyResult<Vec<_>>>()?;
        Ok(PyList::new(py, built)?.into_any())
    }
}

impl ToPython for AgentDetail {
    fn to_python<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let c = classes(py)?;
        let d = agent_fields(py, c, &c.agent_detail, &self.agent)?;
        d.set_item(intern!(py, "config"), agent_config(py, c, &self.config)?)?;
        let channels = self.channels.iter().map(|ch| c.strings.get(py, ch));
        d.set_item(intern!(py, "channels"), PyList::new(py, channels)?)?;
        model(py, &c.agent_detail, d, &self.agent.extra)
    }
}

impl ToPython for UpdatedAgent {
    fn to_python<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let c = classes(py)?;
        let d = c.updated_agent.dict(py)?;
        d.set_item(intern!(py, "id"), &self.id)?;
        d.set_item(intern!(py, "name"), &self.name)?;
        d.set_item(intern!(py, "status"), self.status.as_str())?;
        d.set_item(
            intern!(py, "updated_at"),
            datetime(py, c, &self.updated_at)?,
        )?;
        model(py, &c.updated_agent, d, &self.extra)
    }
}

impl ToPython for DeletedAgent {
    fn to_python<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let c = classes(py)?;
        let d = c.deleted_agent.dict(py)?;
        d.set_item(intern!(py, "deleted"), self.deleted)?;
        d.set_item(intern!(py, "id"), &self.id)?;
        model(py, &c.deleted_agent, d, &self.extra)
    }
}

impl ToPython for ChatReply {
    fn to_python<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let c = classes(py)?;
        let d = c.chat_reply.dict(py)?;
        d.set_item(intern!(py, "response"), &self.response)?;
        d.set_item(intern!(py, "run_id"), &self.run_id)?;
        d.set_item(intern!(py, "tokens_used"), self.tokens_used)?;
        model(py, &c.chat_reply, d, &self.extra)
    }
}

impl ToPython for RunPage {
    fn weight(&self) -> usize {
        1 + self.runs.len()
    }

    fn to_python<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let c = classes(py)?;
        let d = c.run_page.dict(py)?;
        d.set_item(intern!(py, "runs"), runs(py, c, &self.runs)?)?;
        d.set_item(intern!(py, "total"), self.total)?;
        d.set_item(intern!(py, "limit"), self.limit)?;
        d.set_item(intern!(py, "offset"), self.offset)?;
        model(py, &c.run_page, d, &self.extra)
    }
}

/// A page of the run pager: its runs, or `None` at the end.
impl ToPython for Option<Vec<Run>> {
    fn weight(&self) -> usize {
        self.as_ref().map_or(1, Vec::len)
    }

    fn to_python<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        match self {
            Some(page) => Ok(runs(py, classes(py)?, page)?.into_any()),
            None => Ok(py.None().into_bound(py)),
        }
    }
}

impl ToPython for Usage {
    fn to_python<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let c = classes(py)?;
        let d = c.usage.dict(py)?;
        d.set_item(intern!(py, "plan"), &self.plan)?;
        d.set_item(intern!(py, "runs_used"), self.runs_used)?;
        d.set_item(intern!(py, "runs_limit"), self.runs_limit)?;
        d.set_item(intern!(py, "tokens_this_month"), self.tokens_this_month)?;
        d.set_item(intern!(py, "cost_this_month"), self.cost_this_month)?;
        d.set_item(
            intern!(py, "billing_period_start"),
            datetime(py, c, &self.billing_period_start)?,
        )?;
        d.set_item(
            intern!(py, "billing_period_end"),
            datetime(py, c, &self.billing_period_end)?,
        )?;
        model(py, &c.usage, d, &self.extra)
    }
}

/// Calls with no result (the test hooks').
impl ToPython for () {
    fn to_python<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        Ok(py.None().into_bound(py))
    }
}
