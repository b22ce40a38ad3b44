# The two commands of the README: `make demo` (main job) and `make test` (every test).
.PHONY: demo test test-rust test-rust-wasm test-spec test-python test-node test-runtimes test-network test-redis bench dist check-dist check-docs lint-workflows

demo:
	bash scripts/demo.sh

# The Python suite runs in check-dist, on the manylinux2014 x86_64 wheel of `make dist` (installed
# afresh in build/venv), so the extension is compiled once; `make test-python` builds and tests
# a wheel of this machine's own while developing.
test: test-rust test-rust-wasm test-spec dist check-dist test-node test-runtimes test-network test-redis lint-workflows check-docs

test-rust:
	bash scripts/test-rust.sh

# The Rust API built for wasm32-unknown-unknown, under Node against the emulator
# (wasm-bindgen's test runner).
test-rust-wasm:
	bash tests/rust-wasm/run.sh

test-spec:
	bash spec/check.sh

test-python:
	bash bindings-python/scripts/test.sh

test-node:
	bash bindings-node/scripts/test.sh

# The npm package on the WebAssembly build (Node conformance, workerd, Deno, Bun, esbuild, the
# fallback without the addon); after test-node, whose tarball it uses.
test-runtimes:
	bash tests/runtimes/run.sh

# nginx and tinyproxy in front of the emulator; after test-python and test-node, whose builds
# it uses.
test-network:
	bash tests/network/run.sh

# The rate-limit ledger shared through Redis by Python, Node and Rust processes; after check-dist
# and test-node, whose builds it uses.
test-redis:
	bash tests/redis/run.sh

bench:
	bash bench/run.sh

# Every artifact this machine can build, into dist/ (scripts/dist.sh), and their checks.
dist:
	bash scripts/dist.sh

check-dist:
	bash scripts/check-dist.sh

# actionlint over .github/workflows.
lint-workflows:
	bash scripts/lint-workflows.sh

# Every fenced code block of the READMEs meant to run, run against the emulator.
check-docs:
	bash scripts/check-docs.sh
