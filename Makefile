# The two commands of the README: `make demo` (main job) and `make test` (every test).
.PHONY: demo test test-rust test-spec test-python test-node test-network bench

demo:
	bash scripts/demo.sh

test: test-rust test-spec test-python test-node test-network

test-rust:
	bash scripts/test-rust.sh

test-spec:
	bash spec/check.sh

test-python:
	bash bindings-python/scripts/test.sh

test-node:
	bash bindings-node/scripts/test.sh

# nginx and tinyproxy in front of the emulator; after test-python and test-node, whose builds
# it uses.
test-network:
	bash tests/network/run.sh

bench:
	bash bench/run.sh
