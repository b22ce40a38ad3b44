//! What happens when the module traps (calls.js has the details): the panic hook that reports a
//! panic with its message before the trap, the core's callbacks guarded by the same handler, and
//! what the TypeScript layer asks of a module that may have stopped.

use js_sys::{Function, Promise};
use wasm_bindgen::prelude::*;

use crate::executor;

#[wasm_bindgen(module = "/src/calls.js")]
extern "C" {
    fn panicked(message: &str);
    #[wasm_bindgen(js_name = trapHandler)]
    fn trap_handler_js() -> Function;
    #[wasm_bindgen(js_name = moduleFailure)]
    fn module_failure_js() -> JsValue;
    #[wasm_bindgen(js_name = onStop)]
    fn on_stop(stop: &Function);
}

/// Runs when the module is instantiated: a panic is reported (and every call in flight ended)
/// before it traps, the core's own callbacks send a trap to the same handler, and a trap stops
/// the core's timer and requests.
#[wasm_bindgen(start)]
fn start() {
    std::panic::set_hook(Box::new(|info| panicked(&info.to_string())));
    on_stop(&delegir::embedding::on_trap(&trap_handler_js()));
}

/// The `internal` failure every call gets since the module trapped, or `null` while it works.
#[wasm_bindgen(js_name = moduleFailure)]
pub fn module_failure() -> JsValue {
    module_failure_js()
}

/// The function that reports an exception thrown out of the module (calls.js `trapped`), for the
/// callbacks into the module that the TypeScript layer makes (`CancelToken`).
#[wasm_bindgen(js_name = trapHandler)]
pub fn trap_handler() -> Function {
    trap_handler_js()
}

/// Testing only (tests/runtimes/node/wasm-trap.test.mjs): panics with `message`, at once when
/// `in_task` is false, else in a task of the executor (polled in the next microtask), whose
/// promise is returned. Panicking on purpose is the one way to test the path of a bug.
#[wasm_bindgen(js_name = __panicForTesting)]
pub fn panic_for_testing(message: String, in_task: bool) -> Promise {
    if !in_task {
        panic!("{message}");
    }
    executor::spawn(Box::pin(async move { panic!("{message}") }))
}
