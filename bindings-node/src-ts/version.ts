/**
 * The version of this package. Kept equal to `package.json`, `Cargo.toml` and the Python package
 * by `scripts/check-versions.sh` (run by `make test`); the native addon sends the same number in
 * its `User-Agent` (`delegir-node/<VERSION>`).
 */
export const VERSION = '0.1.0';
