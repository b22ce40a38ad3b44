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
use pyo3::types::{PyDateTime, PyDict, PyList, PyString, PyTzInfo};
use serde_json::Value;
use time::OffsetDateTime;

use crate::error::to_pyerr;

/// A call's result, ready to become Python objects on a thread that holds the GIL.
pub(crate) trait ToPython: Send + 'static {
    /// The Python value (a model, a list of models, `None`).
    fn to_python<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>>;
}

/// A finished call: its result, or the core's error.
pub(crate) struct Reply(pub delegir::Result<Box<dyn ToPython>>);

impl Reply {
    /// Wraps a call's result.
    pub(crate) fn from_result<T: ToPython>(result: delegir::Result<T>) -> Reply {
        Reply(result.map(|value| Box::new(value) as Box<dyn ToPython>))
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

/// The classes of `delegir.types` and the helpers every model needs, imported once.
struct Classes {
    agent: Py<PyAny>,
    agent_config: Py<PyAny>,
    agent_detail: Py<PyAny>,
    updated_agent: Py<PyAny>,
    deleted_agent: Py<PyAny>,
    chat_reply: Py<PyAny>,
    run: Py<PyAny>,
    run_page: Py<PyAny>,
    usage: Py<PyAny>,
    object_new: Py<PyAny>,
    /// `pydantic_core.TzInfo`, the tzinfo Pydantic gives parsed timestamps.
    tz_info: Py<PyAny>,
    /// `TzInfo(0)`: the API's timestamps are UTC.
    utc: Py<PyTzInfo>,
}

fn classes(py: Python<'_>) -> PyResult<&Classes> {
    static CLASSES: PyOnceLock<Classes> = PyOnceLock::new();
    CLASSES.get_or_try_init(py, || {
        let types = py.import("delegir.types")?;
        let get = |name: &str| types.getattr(name).map(Bound::unbind);
        let tz_info = py.import("pydantic_core")?.getattr("TzInfo")?;
        let utc = tz_info.call1((0,))?.cast_into::<PyTzInfo>()?.unbind();
        Ok(Classes {
            agent: get("Agent")?,
            agent_config: get("AgentConfig")?,
            agent_detail: get("AgentDetail")?,
            updated_agent: get("UpdatedAgent")?,
            deleted_agent: get("DeletedAgent")?,
            chat_reply: get("ChatReply")?,
            run: get("Run")?,
            run_page: get("RunPage")?,
            usage: get("Usage")?,
            object_new: py.import("builtins")?.getattr("object")?.getattr("__new__")?.unbind(),
            tz_info: tz_info.unbind(),
            utc,
        })
    })
}

/// A Pydantic model instance of `class` with `fields` (the declared ones) and `extra`, made as
/// Pydantic's validator makes it (no `__init__`, no validation: the core has validated).
fn model<'py>(
    py: Python<'py>,
    c: &Classes,
    class: &Py<PyAny>,
    fields: Bound<'py, PyDict>,
    extra: &Extra,
) -> PyResult<Bound<'py, PyAny>> {
    let instance = c.object_new.bind(py).call1((class.bind(py),))?;
    let extra = extra_dict(py, extra)?;
    // SAFETY: PySet_New copies the keys of a dict we own; the result is a new reference.
    let fields_set = unsafe {
        Bound::from_owned_ptr_or_err(py, pyo3::ffi::PySet_New(fields.as_ptr()))?
    };
    if !extra.is_empty() {
        for key in extra.keys() {
            fields_set.call_method1(intern!(py, "add"), (key,))?;
        }
    }
    force_setattr(&instance, intern!(py, "__dict__"), fields.as_any())?;
    force_setattr(&instance, intern!(py, "__pydantic_extra__"), extra.as_any())?;
    force_setattr(&instance, intern!(py, "__pydantic_fields_set__"), &fields_set)?;
    force_setattr(&instance, intern!(py, "__pydantic_private__"), &py.None().into_bound(py))?;
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

/// An aware `datetime` of `at`, with Pydantic's `TzInfo` as a parsed timestamp has it.
fn datetime<'py>(py: Python<'py>, c: &Classes, at: &OffsetDateTime) -> PyResult<Bound<'py, PyAny>> {
    let offset = at.offset().whole_seconds();
    let tz;
    let tz = if offset == 0 {
        c.utc.bind(py)
    } else {
        tz = c.tz_info.bind(py).call1((offset,))?.cast_into::<PyTzInfo>()?;
        &tz
    };
    PyDateTime::new(
        py,
        at.year(),
        at.month() as u8,
        at.day(),
        at.hour(),
        at.minute(),
        at.second(),
        at.microsecond(),
        Some(tz),
    )
    .map(Bound::into_any)
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

fn agent_fields<'py>(py: Python<'py>, c: &Classes, a: &Agent) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item(intern!(py, "id"), &a.id)?;
    d.set_item(intern!(py, "name"), &a.name)?;
    d.set_item(intern!(py, "status"), a.status.as_str())?;
    d.set_item(intern!(py, "safety_mode"), a.safety_mode)?;
    d.set_item(intern!(py, "template"), a.template.as_deref())?;
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
    model(py, c, &c.agent, agent_fields(py, c, a)?, &a.extra)
}

fn agent_config<'py>(py: Python<'py>, c: &Classes, a: &AgentConfig) -> PyResult<Bound<'py, PyAny>> {
    let d = PyDict::new(py);
    d.set_item(intern!(py, "model"), a.model.as_deref())?;
    d.set_item(intern!(py, "system_prompt"), a.system_prompt.as_deref())?;
    d.set_item(intern!(py, "temperature"), a.temperature)?;
    d.set_item(intern!(py, "max_tokens"), a.max_tokens)?;
    model(py, c, &c.agent_config, d, &a.extra)
}

fn run<'py>(py: Python<'py>, c: &Classes, r: &Run) -> PyResult<Bound<'py, PyAny>> {
    let d = PyDict::new(py);
    d.set_item(intern!(py, "id"), &r.id)?;
    d.set_item(intern!(py, "status"), &r.status)?;
    d.set_item(intern!(py, "tokens_used"), r.tokens_used)?;
    d.set_item(intern!(py, "cost"), r.cost)?;
    d.set_item(intern!(py, "duration_ms"), r.duration_ms)?;
    d.set_item(intern!(py, "created_at"), datetime(py, c, &r.created_at)?)?;
    model(py, c, &c.run, d, &r.extra)
}

fn runs<'py>(py: Python<'py>, c: &Classes, runs: &[Run]) -> PyResult<Bound<'py, PyList>> {
    let list = PyList::empty(py);
    for r in runs {
        list.append(run(py, c, r)?)?;
    }
    Ok(list)
}

impl ToPython for Vec<Agent> {
    fn to_python<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let c = classes(py)?;
        let list = PyList::empty(py);
        for a in self {
            list.append(agent(py, c, a)?)?;
        }
        Ok(list.into_any())
    }
}

impl ToPython for AgentDetail {
    fn to_python<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let c = classes(py)?;
        let d = agent_fields(py, c, &self.agent)?;
        d.set_item(intern!(py, "config"), agent_config(py, c, &self.config)?)?;
        d.set_item(intern!(py, "channels"), &self.channels)?;
        model(py, c, &c.agent_detail, d, &self.agent.extra)
    }
}

impl ToPython for UpdatedAgent {
    fn to_python<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let c = classes(py)?;
        let d = PyDict::new(py);
        d.set_item(intern!(py, "id"), &self.id)?;
        d.set_item(intern!(py, "name"), &self.name)?;
        d.set_item(intern!(py, "status"), self.status.as_str())?;
        d.set_item(intern!(py, "updated_at"), datetime(py, c, &self.updated_at)?)?;
        model(py, c, &c.updated_agent, d, &self.extra)
    }
}

impl ToPython for DeletedAgent {
    fn to_python<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let c = classes(py)?;
        let d = PyDict::new(py);
        d.set_item(intern!(py, "deleted"), self.deleted)?;
        d.set_item(intern!(py, "id"), &self.id)?;
        model(py, c, &c.deleted_agent, d, &self.extra)
    }
}

impl ToPython for ChatReply {
    fn to_python<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let c = classes(py)?;
        let d = PyDict::new(py);
        d.set_item(intern!(py, "response"), &self.response)?;
        d.set_item(intern!(py, "run_id"), &self.run_id)?;
        d.set_item(intern!(py, "tokens_used"), self.tokens_used)?;
        model(py, c, &c.chat_reply, d, &self.extra)
    }
}

impl ToPython for RunPage {
    fn to_python<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let c = classes(py)?;
        let d = PyDict::new(py);
        d.set_item(intern!(py, "runs"), runs(py, c, &self.runs)?)?;
        d.set_item(intern!(py, "total"), self.total)?;
        d.set_item(intern!(py, "limit"), self.limit)?;
        d.set_item(intern!(py, "offset"), self.offset)?;
        model(py, c, &c.run_page, d, &self.extra)
    }
}

/// A page of the run pager: its runs, or `None` at the end.
impl ToPython for Option<Vec<Run>> {
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
        let d = PyDict::new(py);
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
        model(py, c, &c.usage, d, &self.extra)
    }
}

/// Calls with no result (the test hooks').
impl ToPython for () {
    fn to_python<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        Ok(py.None().into_bound(py))
    }
}
