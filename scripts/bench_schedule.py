"""Benchmark of scheduling at programme scale: the schedule import and the calendar feed.

Usage: ``.venv/bin/python scripts/bench_schedule.py [--rows 2000] [--keep DIR]``

Builds, in a fresh SQLite database in a temporary directory, phase 1 with 40 courses in its
two tracks (eight groups of five courses; each group has its own four instructors, three of
them on each course, its own venue and 75 learners each enrolled in two or three of its
courses, so that the shared-learner clash check has pairs to compare), and a synthetic
``.xlsx`` of ``--rows`` sessions for them: on-site rows at a registered venue (one of them
named after its county, as two counties have a venue of that name), online rows with a
meeting link, instructors by user name or left blank, no holiday and no clash. It times:

- reading the file alone with openpyxl: the reference;
- the dry run (:func:`~trainhub.schedule.import_planner.plan_schedule`: every row checked,
  clashes with the timetable and between the rows found);
- the commit (:func:`~trainhub.schedule.importing.import_schedule`: every session created);

then, with the office's own calendar feed holding every session, through the application's
test client: ``GET /healthz`` (the reference), rendering the feed (``GET
/calendar/<secret>.ics``) and the conditional GET that answers 304 (``If-None-Match``).
The SQL statements of each step are counted (a ``before_cursor_execute`` listener): the
dry run's at 100 rows and at ``--rows`` show it reads the database with a fixed number of
queries. ``trainhub schedule import FILE`` runs the same pipeline on a file written with
``--keep`` (in a database holding that catalogue).

Figures are printed as a ratio to the reference measured in the same run; nothing here is
a test: no threshold decides anything.
"""

from __future__ import annotations

import argparse
import random
import sys
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, time, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench_import import bench_app, best_of, read_with_openpyxl, timed  # noqa: E402

GROUPS = 8
COURSES_PER_GROUP = 5
INSTRUCTORS_PER_GROUP = 4
LEARNERS_PER_GROUP = 75
#: The times of day a group may teach (each group at most one session at a time).
SLOTS = ((time(9), time(11)), (time(14), time(16)), (time(16, 30), time(18, 30)), (time(19), time(21)))
HEADERS = ["课程编号", "日期", "开始时间", "结束时间", "地点", "会议链接", "会议号", "讲师", "标题"]
#: Two counties have a venue of this name: rows name it with its county.
SHARED_VENUE = "社工站培训室"


@dataclass
class Catalogue:
    """What the rows refer to: per group, its course codes, their instructors' user names
    (the course's order), and the venue cell of its on-site courses."""

    courses: list[list[str]] = field(default_factory=list)
    instructors: dict[str, list[str]] = field(default_factory=dict)
    onsite: set[str] = field(default_factory=set)
    venues: list[str] = field(default_factory=list)
    office_id: int = 0


def build_catalogue(seed: int = 5) -> Catalogue:
    """Phase 1's 40 courses, their instructors, venues and enrolled learners (committed)."""
    from trainhub.accounts.models import Role, User
    from trainhub.courses.models import Course, CourseMode, Enrolment, Venue
    from trainhub.courses.operations import ensure_initial_programme
    from trainhub.demo import fake
    from trainhub.extensions import db
    from trainhub.geo.models import County
    from trainhub.learners import idcard
    from trainhub.learners.models import Gender, Qualification
    from trainhub.learners.operations import create_learners
    from trainhub.learners.validation import LearnerFields
    from trainhub.orgs.models import Organisation, OrgKind

    rng = random.Random(seed)
    counties = [County(code="520204", name="水城区", prefecture="六盘水市", province="贵州省",
                       province_code="52", list_version="bench", is_priority=True),
                County(code="520526", name="威宁彝族回族苗族自治县", prefecture="毕节市", province="贵州省",
                       province_code="52", list_version="bench", is_priority=True)]
    db.session.add_all(counties)
    db.session.flush()
    orgs = [Organisation(name=f"{county.name}社会工作服务中心", kind=OrgKind.AGENCY, county_code=county.code)
            for county in counties]
    office = User(username="office-bench", role=Role.OFFICE, display_name="项目办")
    db.session.add_all([*orgs, office])
    setup = ensure_initial_programme()
    result = Catalogue()
    learners = []
    used: set[str] = set()
    for group in range(GROUPS):
        teachers = [User(username=f"teacher-{group + 1}-{n + 1}", role=Role.INSTRUCTOR,
                         display_name=fake.person_name(rng, rng.choice(list(Gender))))
                    for n in range(INSTRUCTORS_PER_GROUP)]
        county = counties[group % 2]
        name = SHARED_VENUE if group < 2 else f"{county.name}第{group + 1}培训室"
        db.session.add(Venue(name=name, county_code=county.code, organisation_id=orgs[group % 2].id))
        result.venues.append(f"{name}（{county.name}）" if group < 2 else name)
        courses = []
        for number in range(COURSES_PER_GROUP):
            mode = CourseMode.ONSITE if number < 2 else CourseMode.ONLINE
            course = Course(track_id=setup.tracks[group % 2].id, code=f"P1-G{group + 1}-{number + 1:02d}",
                            title=f"第{group + 1}组课程{number + 1}", class_hours=Decimal(12), mode=mode)
            course.instructors = [teachers[(number + k) % INSTRUCTORS_PER_GROUP] for k in range(3)]
            courses.append(course)
            result.instructors[course.code] = [user.username for user in course.instructors]
            if mode == CourseMode.ONSITE:
                result.onsite.add(course.code)
        db.session.add_all(courses)
        result.courses.append([course.code for course in courses])
        for _ in range(LEARNERS_PER_GROUP):
            gender = rng.choice(list(Gender))
            born = fake.birth_date(rng)
            number = idcard.generate(rng, county.code, born, gender)
            while number in used:
                number = idcard.generate(rng, county.code, born, gender)
            used.add(number)
            learners.append((group, rng.sample(courses, rng.choice((2, 3))),
                             (LearnerFields(name=fake.person_name(rng, gender), id_number=number, gender=gender,
                                            birth_date=born, phone=fake.mobile(rng), position=None,
                                            qualification=Qualification.NONE, joined_on=None),
                              orgs[group % 2])))
    db.session.flush()
    created = create_learners([item for _, _, item in learners], actor=None, with_accounts=False)
    db.session.add_all(Enrolment(learner_id=learner.id, course_id=course.id)
                       for learner, (_, courses, _) in zip(created, learners, strict=True)
                       for course in courses)
    db.session.commit()
    result.office_id = office.id
    return result


def schedule_rows(catalogue: Catalogue, rows: int, starts_on: date, ends_on: date) -> list[list]:
    """``rows`` sessions spread over the phase's days (public holidays left out), in date
    order: each group at most one session at a time, so that nothing clashes."""
    from trainhub.schedule.holidays import day_info

    days = [starts_on + timedelta(days=n) for n in range((ends_on - starts_on).days + 1)]
    slots = [(day, slot) for day in days if not day_info(day).holiday for slot in SLOTS]
    codes = [code for group in catalogue.courses for code in group]
    counts = {code: rows // len(codes) + (n < rows % len(codes)) for n, code in enumerate(codes)}
    found = []
    for group, courses in enumerate(catalogue.courses):
        queue = [code for turn in range(max(counts.values())) for code in courses if counts[code] > turn]
        if len(queue) > len(slots):
            raise SystemExit(f"--rows {rows} is more than the phase holds without clashes "
                             f"({len(slots) * GROUPS:,} sessions)")
        for n, code in enumerate(queue):
            day, (starts, ends) = slots[(n * len(slots) // len(queue) + group) % len(slots)]
            teachers = catalogue.instructors[code]
            instructor = "" if n % 3 == 0 else teachers[n % len(teachers)]
            if code in catalogue.onsite:
                where = [catalogue.venues[group], "", ""]
            else:
                where = ["", f"https://meeting.bench.test/j/{group}{n:05d}", f"{group}{n:05d}"]
            found.append([code, day, starts, ends, *where, instructor, f"第 {n // len(courses) + 1} 讲"])
    found.sort(key=lambda row: (row[1], row[2], row[0]))
    return found


def statements(count: int) -> str:
    return f"{count:,} SQL statement{'' if count == 1 else 's'}"


@contextmanager
def counting(engine):
    """Count the SQL statements sent through ``engine`` (``count[0]``)."""
    import sqlalchemy as sa

    count = [0]

    def listener(*_args):
        count[0] += 1

    sa.event.listen(engine, "before_cursor_execute", listener)
    try:
        yield count
    finally:
        sa.event.remove(engine, "before_cursor_execute", listener)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2_000)
    parser.add_argument("--keep", type=Path, help="write the generated schedule file into this folder")
    args = parser.parse_args()

    import pandas as pd

    from trainhub.accounts.models import User
    from trainhub.courses.models import Phase, TrainingSession
    from trainhub.courses.operations import PHASE_ONE
    from trainhub.extensions import db
    from trainhub.schedule import feeds
    from trainhub.schedule.import_planner import plan_schedule
    from trainhub.schedule.importing import import_schedule, read_schedule
    from trainhub.spreadsheets import to_xlsx

    app = bench_app(args.rows)
    with app.app_context():
        db.create_all()
        seconds, catalogue = timed(build_catalogue)
        rows = schedule_rows(catalogue, args.rows, PHASE_ONE["starts_on"], PHASE_ONE["ends_on"])
        files = {count: to_xlsx({"课次": pd.DataFrame(rows[:count], columns=HEADERS, dtype=object)})
                 for count in sorted({min(100, args.rows), args.rows})}
        data = files[args.rows]
        if args.keep:
            args.keep.mkdir(parents=True, exist_ok=True)
            (args.keep / f"schedule-{args.rows}.xlsx").write_bytes(data)
        print(f"trainhub scheduling benchmark: {args.rows:,} sessions of {GROUPS * COURSES_PER_GROUP} courses, "
              f"SQLite, Python {sys.version.split()[0]} (catalogue built in {seconds:.1f} s)")
        print(f"file: xlsx {len(data) / 1e6:.2f} MB")

        def dry_run(count: int):
            plan = plan_schedule(read_schedule("schedule.xlsx", files[count]), filename="schedule.xlsx")
            db.session.rollback()
            return plan

        reference = best_of(3, lambda: read_with_openpyxl(data))
        counts = {}
        for count in files:
            with counting(db.engine) as counted:
                plan = dry_run(count)
            assert not plan.has_problems, [str(problem) for problem in plan.problems[:5]]
            counts[count] = counted[0]
        seconds = best_of(3, lambda: dry_run(args.rows))
        print(f"read {args.rows:,} rows with openpyxl alone: {reference:.2f} s (reference)")
        print(f"dry run (every row checked, clashes found): {seconds:.2f} s = {seconds / reference:.1f} × the reference")
        print("SQL statements of the dry run: " + ", ".join(
            f"{counts[count]} at {count:,} rows" for count in files))

        plan = plan_schedule(read_schedule("schedule.xlsx", data), filename="schedule.xlsx")
        with counting(db.engine) as counted:
            seconds, result = timed(lambda: (import_schedule(plan, actor=None, via="bench"), db.session.commit())[0])
        print(f"commit {len(result.sessions):,} sessions: {seconds:.2f} s = {seconds / reference:.1f} × the reference "
              f"({statements(counted[0])}, {counted[0] / len(result.sessions):.1f} a session)")

        office = db.session.get(User, catalogue.office_id)
        feed = feeds.issue_user_feed(user=office, actor=None)
        secret = feeds.feed_secret(feed)
        sessions = db.session.query(TrainingSession).count()
        phases = db.session.query(Phase).count()
        db.session.commit()
        db.session.remove()

    client = app.test_client()
    url = f"/calendar/{secret}.ics"

    def get(path: str, status: int, **headers):
        with app.app_context(), counting(db.engine) as counted:
            response = client.get(path, headers=headers)
        assert response.status_code == status, (path, response.status_code)
        return response, counted[0]

    first, _ = get(url, 200)
    etag = first.headers["ETag"]
    _, health_statements = get("/healthz", 200)
    _, feed_statements = get(url, 200)
    _, cached_statements = get(url, 304, **{"If-None-Match": etag})
    health = best_of(5, lambda: get("/healthz", 200))
    rendering = best_of(3, lambda: get(url, 200))
    cached = best_of(5, lambda: get(url, 304, **{"If-None-Match": etag}))
    print(f"GET /healthz: {health * 1000:.1f} ms (reference, {statements(health_statements)})")
    print(f"the office's calendar feed, {sessions:,} sessions in {phases} phase ({len(first.data) / 1e6:.2f} MB): "
          f"{rendering:.2f} s = {rendering / health:.0f} × the reference ({statements(feed_statements)})")
    print(f"the same feed unchanged, 304 to If-None-Match: {cached * 1000:.1f} ms = {cached / health:.1f} × "
          f"the reference ({statements(cached_statements)})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
