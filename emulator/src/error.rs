//! The error for a refused fault rule or setting.

use std::fmt;

/// A fault rule or setting the emulator refuses: which field, and what is allowed.
///
/// Displays as `'field' problem`, e.g. `'count' must be at least 1`; front ends that call the
/// field something else (the bindings' camelCase options) use [`field`](Self::field) and
/// [`problem`](Self::problem).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvalidArgument {
    field: &'static str,
    problem: String,
}

impl InvalidArgument {
    pub(crate) fn new(field: &'static str, problem: impl Into<String>) -> Self {
        InvalidArgument {
            field,
            problem: problem.into(),
        }
    }

    /// The field refused, as the admin API names it (`count`, `fault.status`, `rate_window`…).
    pub fn field(&self) -> &'static str {
        self.field
    }

    /// What is wrong with it, e.g. `must be at least 1`.
    pub fn problem(&self) -> &str {
        &self.problem
    }
}

impl fmt::Display for InvalidArgument {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "'{}' {}", self.field, self.problem)
    }
}

impl std::error::Error for InvalidArgument {}
