"""Benchmark of what decrypting personal data costs the register: the export and a list page.

Usage: ``.venv/bin/python scripts/bench_export.py [--rows 20000]``

Masked ID and phone numbers are not stored: every row shown decrypts its ID and phone
numbers (Fernet, AES-128-CBC + HMAC-SHA256) to mask them. This registers ``--rows``
synthetic learners in a fresh SQLite database and times, in the same run:

- loading the learners of the export from the database alone: the reference;
- building the export sheet (which decrypts two values a row);
- writing that sheet as ``.xlsx`` (what the user waits for as well);
- one 50-row list page's rows, masked.

Figures are printed side by side with the reference; no threshold decides anything.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench_import import BENCH_DATA_KEY, best_of, timed  # noqa: E402


def register(rows: int, seed: int = 11) -> None:
    from trainhub.demo import fake
    from trainhub.extensions import db
    from trainhub.geo.models import County
    from trainhub.learners import idcard
    from trainhub.learners.models import Gender, Qualification
    from trainhub.learners.operations import create_learners
    from trainhub.learners.validation import LearnerFields
    from trainhub.orgs.models import Organisation, OrgKind

    rng = random.Random(seed)
    db.session.add(County(code="520204", name="水城区", prefecture="六盘水市", province="贵州省",
                          province_code="52", list_version="bench", is_priority=True))
    orgs = [Organisation(name=f"机构{n}", kind=OrgKind.STATION, county_code="520204")
            for n in range(50)]
    db.session.add_all(orgs)
    db.session.flush()
    used: set[str] = set()
    batch = []
    for _ in range(rows):
        gender = rng.choice(list(Gender))
        born = fake.birth_date(rng)
        number = idcard.generate(rng, "520204", born, gender)
        while number in used:
            number = idcard.generate(rng, "520204", born, gender)
        used.add(number)
        batch.append((LearnerFields(name=fake.person_name(rng, gender), id_number=number,
                                    gender=gender, birth_date=born, phone=fake.mobile(rng),
                                    position=None, qualification=Qualification.NONE,
                                    joined_on=None),
                      rng.choice(orgs)))
        if len(batch) == 2000:
            create_learners(batch, actor=None)
            db.session.commit()
            batch = []
    if batch:
        create_learners(batch, actor=None)
        db.session.commit()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000)
    args = parser.parse_args()

    from trainhub import create_app
    from trainhub.auth import Role
    from trainhub.extensions import db
    from trainhub.learners import queries
    from trainhub.pii import cipher
    from trainhub.spreadsheets import to_xlsx

    workdir = Path(tempfile.mkdtemp(prefix="trainhub-bench-"))
    app = create_app({
        "INSTANCE_PATH": str(workdir / "instance"),
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{workdir / 'bench.sqlite'}",
        "SECRET_KEY": "bench", "DATA_KEY": BENCH_DATA_KEY,
    })
    office = SimpleNamespace(role=Role.OFFICE, scope_code=None)
    with app.app_context():
        db.create_all()
        seconds, _ = timed(lambda: register(args.rows))
        print(f"trainhub export benchmark: {args.rows:,} learners, SQLite, Python {sys.version.split()[0]} "
              f"(registered in {seconds:.1f} s)")
        stmt = queries.learner_list_stmt(office)

        def load():
            rows = list(db.session.scalars(stmt).unique())
            db.session.expunge_all()
            return rows

        def frame():
            result = queries.export_frame(office, queries.LearnerFilters())
            db.session.expunge_all()
            return result

        reference = best_of(3, load)
        tokens = [token for row in db.session.execute(stmt.with_only_columns(
            db.metadata.tables["learner"].c.id_number_enc, db.metadata.tables["learner"].c.phone_enc))
            for token in row]
        decrypting = best_of(3, lambda: [cipher().decrypt(token) for token in tokens])
        building = best_of(3, frame)
        sheet = frame()
        writing = best_of(2, lambda: to_xlsx({"学员": sheet}))
        page = best_of(5, lambda: [(x.id_number_masked, x.phone_masked)
                                   for x in db.session.scalars(stmt.limit(50)).unique()])
        print(f"load {args.rows:,} learners from the database: {reference:.2f} s (reference)")
        print(f"decrypt the ID and phone numbers alone: {decrypting:.2f} s = "
              f"{decrypting / reference:.1f} × the reference ({decrypting / len(tokens) * 1e6:.0f} µs a value)")
        print(f"build the masked export sheet (load, decrypt, mask): {building:.2f} s = "
              f"{building / reference:.1f} × the reference")
        print(f"write it as .xlsx: {writing:.2f} s = {writing / reference:.1f} × the reference")
        print(f"one 50-row list page, masked: {page * 1000:.1f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
