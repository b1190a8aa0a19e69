"""Demo step "programme": phase 1 as history (the facts ``trainhub init`` loads) and the
phase running now, with both phases' courses.

The programme's overall plan is 2023–2025 (``trainhub.courses.operations.PROGRAMME_*``),
yet the demo must show a live programme whenever it is made. Its current phase therefore
lies around the day the demo is made and, from 2026 on, after the plan's end. Rather than
leave a phase outside its programme (every phase lies inside its programme, as every session
lies inside its phase), the demo extends the programme's end to 31 December of the year the
current phase ends, and says so in its summary and in its audit entry. A real database never
sees this: the demo only runs into a database without business data.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import sqlalchemy as sa

from trainhub.accounts.models import User
from trainhub.courses.models import Course, Phase, Track
from trainhub.courses.operations import ensure_initial_programme
from trainhub.demo.catalogue import CURRENT_PLAN, PHASE_ONE_PLAN, PhasePlan
from trainhub.demo.context import Demo, DemoError, PhaseBuild
from trainhub.demo.workdays import chinese_number, current_phase_window
from trainhub.extensions import db

#: Phase 1's learners enrolled in the weeks before its online launch (2023-02-15).
PHASE_ONE_ENROLMENT = (date(2023, 1, 20), date(2023, 2, 14))
#: The current phase's enrolment opens this many days before its first day.
ENROLMENT_DAYS = 25


def add_programme(demo: Demo) -> None:
    setup = ensure_initial_programme()
    demo.programme = setup.programme
    demo.history = PhaseBuild(phase=setup.phase, tracks=setup.tracks, plan=PHASE_ONE_PLAN,
                              enrol_from=PHASE_ONE_ENROLMENT[0], enrol_until=PHASE_ONE_ENROLMENT[1])
    demo.current = _current_phase(demo)
    for build in demo.phases:
        _courses(demo, build)


def _current_phase(demo: Demo) -> PhaseBuild:
    """The next phase after those that exist, six months around today, with its tracks."""
    programme = demo.programme
    last = db.session.scalar(
        sa.select(Phase).where(Phase.programme_id == programme.id).order_by(Phase.number.desc()).limit(1)
    )
    window = current_phase_window(demo.today, not_before=last.ends_on + timedelta(days=1))
    if window is None:
        raise DemoError(f"今天（{demo.today:%Y-%m-%d}）尚在{last.name}（至 {last.ends_on:%Y-%m-%d}）之内，"
                        "无法在其后安排当前阶段，未做任何更改。")
    starts_on, ends_on = window
    number = last.number + 1
    phase = Phase(programme_id=programme.id, number=number, name=f"第{chinese_number(number)}阶段",
                  starts_on=starts_on, ends_on=ends_on)
    db.session.add(phase)
    tracks = [Track(phase=phase, name=name, position=position)
              for position, name in enumerate(CURRENT_PLAN.tracks, start=1)]
    db.session.add_all(tracks)
    summary = demo.summary
    summary.phase_name, summary.phase_window = phase.name, window
    year_end = date(ends_on.year, 12, 31)
    if programme.ends_on < ends_on:  # see the module's docstring
        summary.programme_extended_from = programme.ends_on
        programme.ends_on = year_end
    summary.programme_ends_on = programme.ends_on
    return PhaseBuild(phase=phase, tracks=tracks, plan=CURRENT_PLAN,
                      enrol_from=starts_on - timedelta(days=ENROLMENT_DAYS),
                      enrol_until=starts_on - timedelta(days=1))


def _instructors_of(demo: Demo, plan: PhasePlan, track: int) -> list[User]:
    if not plan.instructors_by_track:
        return demo.instructors
    per_track = max(1, len(demo.instructors) // len(plan.tracks))
    own = demo.instructors[track * per_track:(track + 1) * per_track]
    return own or demo.instructors


def _courses(demo: Demo, build: PhaseBuild) -> None:
    for spec in build.plan.courses:
        course = Course(
            track=build.tracks[spec.track],
            code=build.code(spec),
            title=spec.title,
            description=spec.description,
            class_hours=Decimal(spec.hours),
            mode=spec.mode,
            capacity=spec.capacity,
            completion_min_rate=Decimal("0.800"),
            has_assessment=spec.has_assessment,
            pass_score=Decimal(60) if spec.has_assessment else None,
        )
        pool = _instructors_of(demo, build.plan, spec.track)
        course.instructors = demo.rng.sample(pool, min(len(pool), demo.rng.choice((1, 1, 2))))
        build.courses.append((spec, course))
    db.session.add_all(course for _, course in build.courses)
