"""A/B of contenders in one run, for a busy machine: CPU per call and paired ratios per round.

    build/bench-venv/bin/python bench/ab.py ROUNDS SECONDS WORKLOAD CONCURRENCY NAME BASELINE [NAME...]

Names are ``driver.py``'s contenders (``py-delegir-async``, ``py-aiohttp``, ``rust-delegir``,
``rust-reqwest``, ...), run one after another on one emulator through ``driver.measure``, every
other round in reverse order; each is compared with the second name. Builds nothing: run
``bench/run.sh`` (or the builds it makes) first.
"""

from __future__ import annotations

import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import driver


def main() -> None:
    if len(sys.argv) < 7:
        raise SystemExit(__doc__)
    rounds, seconds, workload, concurrency = (
        int(sys.argv[1]),
        float(sys.argv[2]),
        sys.argv[3],
        int(sys.argv[4]),
    )
    names = sys.argv[5:]
    driver.SECONDS = seconds
    baseline = names[1]
    emu = driver.Emulator(str(driver.ROOT / "target/release/delegir-emulator"))
    cpu: dict[str, list[float]] = {n: [] for n in names}
    try:
        for r in range(rounds):
            for name in names if r % 2 == 0 else names[::-1]:
                m = driver.measure(emu, name, workload, concurrency)
                per_call = m["cpu_s"] / max(1, m["calls"]) * 1e6
                cpu[name].append(per_call)
                print(
                    f"round {r + 1} {name:20} {m['calls'] / m['seconds']:8.0f}/s cpu {per_call:7.1f} us/call "
                    f"errors {m['errors']}",
                    flush=True,
                )
    finally:
        emu.stop()
    for name in names:
        ratios = [a / b for a, b in zip(cpu[name], cpu[baseline])]
        print(
            f"{name:20} median cpu {statistics.median(cpu[name]):7.1f} us  ratio to {baseline} "
            f"median {statistics.median(ratios):.3f}  rounds {[round(x, 3) for x in ratios]}"
        )


if __name__ == "__main__":
    main()
