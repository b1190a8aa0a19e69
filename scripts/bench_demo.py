"""Benchmark of ``trainhub demo``: how long the demo data set takes, as CI, the browser tests
(60 learners) and ``scripts/run.sh`` (the default 300) make it.

Usage: ``.venv/bin/python scripts/bench_demo.py [--learners 60 300 1000] [--repeat 3]``

For each size, in a fresh SQLite database of a temporary directory (schema created directly,
production password hashing), times:

- loading the county code list (``trainhub init``'s reference data): the reference;
- creating the demo data set and committing it.

Then, once, the two commands a first ``scripts/run.sh`` runs, as processes (``trainhub init``
with its migrations, then ``trainhub demo``), start-up included. Best of ``--repeat`` runs;
figures are printed beside the reference measured in the same run. Nothing here is a test:
no threshold decides anything.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BIN = Path(sys.executable).parent

#: A fixed personal-data key: the benchmark's databases are thrown away afterwards.
BENCH_DATA_KEY = "YmVuY2gtb25seS1kYXRhLWtleS1mb3ItdHJhaW5odWI="


def _app(folder: str):
    from trainhub import create_app

    return create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/bench.sqlite",
                       "INSTANCE_PATH": folder, "SECRET_KEY": "bench", "DATA_KEY": BENCH_DATA_KEY})


def one_run(learners: int) -> tuple[float, float, dict]:
    """(reference, demo) seconds and the demo's counts, in a fresh database."""
    from trainhub.demo.operations import create_demo_data
    from trainhub.extensions import db
    from trainhub.geo.operations import load_counties

    with tempfile.TemporaryDirectory() as folder:
        app = _app(folder)
        with app.app_context():
            db.create_all()
            start = time.perf_counter()
            load_counties()
            db.session.commit()
            reference = time.perf_counter() - start
            start = time.perf_counter()
            summary = create_demo_data(learners=learners)
            db.session.commit()
            made = time.perf_counter() - start
            db.engine.dispose()
    return reference, made, summary.counts


def commands() -> tuple[float, float]:
    """Wall-clock seconds of ``trainhub init`` and ``trainhub demo`` as processes."""
    with tempfile.TemporaryDirectory() as folder:
        env = {**os.environ, "TRAINHUB_INSTANCE_PATH": folder,
               "TRAINHUB_DATABASE_URL": f"sqlite:///{folder}/run.sqlite"}
        times = []
        for command in ("init", "demo"):
            start = time.perf_counter()
            subprocess.run([BIN / "trainhub", command], env=env, check=True, capture_output=True)
            times.append(time.perf_counter() - start)
    return times[0], times[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", type=int, nargs="+", default=[60, 300, 1000])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    print("| learners | rows written | demo data set | ratio to the reference |")
    print("| --- | --- | --- | --- |")
    for learners in args.learners:
        runs = [one_run(learners) for _ in range(args.repeat)]
        reference = min(run[0] for run in runs)
        made = min(run[1] for run in runs)
        counts = runs[0][2]
        rows = sum(counts[key] for key in ("learners", "enrolments", "attendance", "sessions",
                                           "leave_requests", "assessments"))
        print(f"| {learners:,} | {rows:,} | {made:.2f} s | {made / reference:.1f} × loading the "
              f"county list ({reference:.2f} s) |")
    init, demo = min(commands() for _ in range(args.repeat))
    print(f"\nAs processes (start-up included): trainhub init {init:.2f} s, trainhub demo {demo:.2f} s "
          f"(default {300} learners).")


if __name__ == "__main__":
    main()
