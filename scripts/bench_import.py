"""Benchmark of the bulk learner import: validate (dry run) and commit a 10,000-row roster.

Usage: ``.venv/bin/python scripts/bench_import.py [--rows 10000] [--keep DIR]``

Generates a synthetic roster (valid ID numbers, mobile numbers, a few hundred organisations
in priority counties, some of them not registered yet) as ``.xlsx`` and ``.csv``, loads the
reference data into a fresh SQLite database in a temporary directory, and times:

- reading the file alone (openpyxl for the ``.xlsx``, pandas for the ``.csv``): the reference;
- the dry run (read, check every row, match against the register);
- the commit into the empty database (learners, trainee accounts, organisations, audit);
- the dry run again against the now full register (every row matched: "no change").

Figures are printed as a ratio to the reference measured in the same run, which survives a
noisy or slower machine better than a time alone. Nothing here is a test: no threshold
decides anything.
"""

from __future__ import annotations

import argparse
import io
import random
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

#: A fixed personal-data key: the benchmark's database is thrown away afterwards.
BENCH_DATA_KEY = "YmVuY2gtb25seS1kYXRhLWtleS1mb3ItdHJhaW5odWI="


def make_roster(rows: int, counties: list, seed: int = 7):
    """A roster DataFrame with the template's columns; deterministic for a seed."""
    import pandas as pd

    from trainhub.demo import fake
    from trainhub.learners import idcard
    from trainhub.learners.models import Gender

    rng = random.Random(seed)
    organisations = []
    for county in counties:
        organisations.append((f"{county.name}{rng.choice(fake.AGENCY_WORDS)}社会工作服务中心", county))
        for town in fake.town_names(rng, 3):
            organisations.append((f"{county.name}{town}社会工作服务站", county))
    used_ids: set[str] = set()
    records = []
    for _ in range(rows):
        name, county = rng.choice(organisations)
        gender = rng.choice(list(Gender))
        born = fake.birth_date(rng)
        number = idcard.generate(rng, county.code, born, gender)
        while number in used_ids:
            number = idcard.generate(rng, county.code, born, gender)
        used_ids.add(number)
        records.append({
            "姓名": fake.person_name(rng, gender),
            "身份证号码": number,
            "手机号码": fake.mobile(rng),
            "性别": gender.label,
            "工作单位": name,
            "所在县（区）": county.name if rng.random() < 0.5 else county.code,
            "省份": county.province,
            "职务": rng.choice(("站长", "驻站社工", "项目社工", "机构负责人")),
            "职业资格": rng.choice(("无", "助理社会工作师", "社会工作师")),
            "入职日期": fake.random_date(rng, date(2015, 1, 1), date(2022, 12, 31)).isoformat(),
        })
    return pd.DataFrame(records, dtype=object)


def timed(function):
    start = time.perf_counter()
    value = function()
    return time.perf_counter() - start, value


def best_of(repeat: int, function):
    """The fastest of ``repeat`` runs (the least disturbed by the rest of the machine)."""
    return min(timed(function)[0] for _ in range(repeat))


def bench_app(rows: int):
    """The application on a fresh SQLite database in a temporary directory, taking files of
    ``rows`` rows."""
    from trainhub import create_app

    workdir = Path(tempfile.mkdtemp(prefix="trainhub-bench-"))
    return create_app({
        "INSTANCE_PATH": str(workdir / "instance"),
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{workdir / 'bench.sqlite'}",
        "SECRET_KEY": "bench", "DATA_KEY": BENCH_DATA_KEY, "JOBS_IMMEDIATE": True,
        "IMPORT_MAX_ROWS": max(rows, 20_000), "IMPORT_MAX_BYTES": 100 * 1024 * 1024,
    })


def read_with_openpyxl(data: bytes) -> None:
    """Read every cell of an ``.xlsx``'s first sheet, as the import's reader does: the reference."""
    import openpyxl

    workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
    for _ in workbook.worksheets[0].iter_rows(values_only=True):
        pass
    workbook.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--keep", type=Path, help="write the generated roster files into this folder")
    args = parser.parse_args()

    import pandas as pd
    import sqlalchemy as sa

    from trainhub.cli import load_initial_data
    from trainhub.extensions import db
    from trainhub.geo.models import County
    from trainhub.imports.operations import commit_import
    from trainhub.imports.planner import plan_import
    from trainhub.imports.reading import read_roster
    from trainhub.spreadsheets import to_csv, to_xlsx

    app = bench_app(args.rows)
    with app.app_context():
        db.create_all()
        load_initial_data()
        db.session.commit()
        counties = list(db.session.scalars(
            sa.select(County).where(County.is_priority).order_by(County.code)))[:60]
        roster = make_roster(args.rows, counties)
        files = {"xlsx": to_xlsx({"学员名单": roster}), "csv": to_csv(roster)}
        if args.keep:
            args.keep.mkdir(parents=True, exist_ok=True)
            for kind, data in files.items():
                (args.keep / f"roster-{args.rows}.{kind}").write_bytes(data)

        def read_alone(kind: str):
            data = files[kind]
            if kind == "xlsx":
                read_with_openpyxl(data)
            else:
                pd.read_csv(io.BytesIO(data), dtype=str, encoding="utf-8-sig")

        def dry_run(kind: str):
            table = read_roster(f"roster.{kind}", files[kind])
            plan = plan_import(table, user=None, filename=f"roster.{kind}")
            db.session.rollback()
            return plan

        print(f"trainhub bulk import benchmark: {args.rows:,} rows, SQLite, Python {sys.version.split()[0]}")
        print(f"files: xlsx {len(files['xlsx']) / 1e6:.1f} MB, csv {len(files['csv']) / 1e6:.1f} MB")
        references = {}
        for kind in files:
            reference = best_of(3, lambda kind=kind: read_alone(kind))
            references[kind] = reference
            seconds = best_of(3, lambda kind=kind: dry_run(kind))
            tool = "openpyxl" if kind == "xlsx" else "pandas"
            print(f"validate {args.rows:,} rows ({kind}): {seconds:.2f} s = "
                  f"{seconds / reference:.1f} × reading the file alone with {tool} ({reference:.2f} s)")

        plan = dry_run("xlsx")
        assert not plan.problems, plan.problems[:5]
        plan = plan_import(read_roster("roster.xlsx", files["xlsx"]), user=None, filename="roster.xlsx")
        seconds, result = timed(lambda: (commit_import(plan, via="bench"), db.session.commit())[0])
        print(f"commit {result.counts['new']:,} new learners and {result.counts['organisations']} "
              f"organisations: {seconds:.2f} s = {seconds / references['xlsx']:.1f} × reading the xlsx alone")
        seconds = best_of(2, lambda: dry_run("xlsx"))
        counts = dry_run("xlsx").counts
        print(f"validate again against the full register ({counts['unchanged']:,} unchanged): "
              f"{seconds:.2f} s = {seconds / references['xlsx']:.1f} × reading the xlsx alone")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
