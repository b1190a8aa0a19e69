"""Demo step "timetable": the sessions of each phase, and the current phase's sessions
placed around the moment the demo is made.

Each track's courses follow one another, their sessions spread evenly over the phase's
working days on the track's weekdays (public holidays and weekends are left out, see
:func:`trainhub.demo.workdays.is_working_day`). Then, so that every role sees a live
programme right after the demo is loaded, :func:`place_around_now` moves the next session
of some tracks to times around now (local time, the configured zone):

- today, one session that ended earlier (from 11:00 on), one in progress (08:30–21:00) and
  one still to come (until 19:30: at 09:30, 14:30 or 19:00 where one is at least half an
  hour ahead), each of a different track, so of different instructors;
- tomorrow morning one more when none is still to come today (late in the evening);
- and every track a session in the six days after today: a track whose next session after
  today lies beyond them has it moved to its first working day among them (usual time).

Sessions start no earlier than 08:00 and end by 22:00. The sessions moved to today and
tomorrow are the one exception to the working-day rule: they are held even on a weekend or
a public holiday, because the demo's purpose is to show the programme running whenever it
is shown. Every other session keeps to working days.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from trainhub.courses.models import CourseMode, TrainingSession, Venue
from trainhub.demo.catalogue import MEETING_URL, ONLINE_TIME, ONSITE_TIMES, SESSION_HOURS
from trainhub.demo.context import Demo, Featured, PhaseBuild
from trainhub.demo.workdays import working_days
from trainhub.extensions import db

OPENING_TITLE = "线上开班仪式暨第 1 讲"
#: Bounds of the sessions placed around now (minutes after local midnight), and their length.
DAY_STARTS = 8 * 60
DAY_ENDS = 22 * 60
LENGTH = SESSION_HOURS * 60
#: Usual starting times (on-site morning and afternoon, online evening): a session still to
#: come today starts at the next of them at least half an hour ahead, else as soon as that.
USUAL_STARTS = (9 * 60 + 30, 14 * 60 + 30, 19 * 60)
#: Every track has a session after today within this many days from today.
WEEK_DAYS = 7
#: What a session placed around now is, as the demo's summary says it.
KIND_LABELS = {"earlier": "今天（已结束）", "in_progress": "今天（正在进行）",
               "to_come": "今天", "tomorrow": "明天"}


@dataclass(frozen=True)
class Slot:
    kind: str
    day: date
    starts: time
    ends: time


def _clock(minutes: int) -> time:
    return time(minutes // 60, minutes % 60)


def slots_around(local_now: datetime) -> list[Slot]:
    """The times around ``local_now`` (a local wall-clock time) that get a session, in time
    order: see the module's docstring."""
    today = local_now.date()
    minute = local_now.hour * 60 + local_now.minute
    floor = minute - minute % 30
    ceil = floor + (30 if minute % 30 or local_now.second or local_now.microsecond else 0)
    slots = []

    def add(kind: str, day: date, start: int) -> None:
        slots.append(Slot(kind, day, _clock(start), _clock(start + LENGTH)))

    earlier = min(floor - 180, DAY_ENDS - LENGTH)
    if earlier >= DAY_STARTS:
        add("earlier", today, earlier)
    if floor - 30 >= DAY_STARTS and floor - 30 + LENGTH <= DAY_ENDS:
        add("in_progress", today, floor - 30)
    soonest = max(ceil + 30, DAY_STARTS + 30)
    to_come = next((start for start in USUAL_STARTS if start >= soonest), soonest)
    if to_come + LENGTH <= DAY_ENDS:
        add("to_come", today, to_come)
    else:
        add("tomorrow", today + timedelta(days=1), 9 * 60 + 30)
    return slots


def add_timetable(demo: Demo) -> None:
    for build in demo.phases:
        _phase_sessions(demo, build, launch=build is demo.history)
    place_around_now(demo)
    for build in demo.phases:
        _number_sessions(build)
        db.session.add_all(session for items in build.sessions.values() for session in items)


def _meetings(build: PhaseBuild, track: int) -> list[tuple]:
    """The track's meetings in order: (spec, course, on site, sessions that day)."""
    per_day = build.plan.onsite_per_day
    meetings = []
    for spec, course in build.courses:
        if spec.track != track:
            continue
        count = spec.hours // SESSION_HOURS
        on_site = {CourseMode.ONLINE: 0, CourseMode.BLENDED: 2, CourseMode.ONSITE: count}[spec.mode]
        meetings += [(spec, course, False, 1)] * (count - on_site)
        meetings += [(spec, course, True, min(per_day, on_site - done))
                     for done in range(0, on_site, per_day)]
    return meetings


def _phase_sessions(demo: Demo, build: PhaseBuild, *, launch: bool) -> None:
    """Each track's courses one after another, spread evenly over its working days; with
    ``launch``, the first track opens on the phase's first day (phase 1's online launch)
    and the others start the day after."""
    phase = build.phase
    site_index = 0
    venues: dict[str, Venue] = {}
    site_venues = demo.venues
    links: dict[str, str] = {}
    for track, weekdays in enumerate(build.plan.weekdays):
        first = phase.starts_on + timedelta(days=1) if launch else phase.starts_on
        days = working_days(first, phase.ends_on, weekdays)
        if launch and track == 0:
            days.insert(0, phase.starts_on)
        meetings = _meetings(build, track)
        last = len(days) - 1
        picks = [round(i * last / max(len(meetings) - 1, 1)) for i in range(len(meetings))]
        for index, ((spec, course, on_site, count), pick) in enumerate(zip(meetings, picks, strict=True)):
            code = build.code(spec)
            day = days[pick]
            if on_site and code not in venues:
                site = demo.sites[site_index % len(demo.sites)]
                site_index += 1
                if site.id not in site_venues:
                    site_venues[site.id] = Venue(
                        name=f"{site.county.province}{site.county.name}实施点（{site.name}培训室）",
                        county_code=site.county_code, organisation=site)
                venues[code] = site_venues[site.id]
            if not on_site and code not in links:
                links[code] = MEETING_URL.format(demo.rng.randrange(10**8, 10**9))
            if not on_site:
                times = (ONLINE_TIME,)
            elif count > 1:
                times = ONSITE_TIMES[:count]
            else:  # one on-site session a day: mornings and afternoons in turn
                times = (ONSITE_TIMES[index % 2],)
            for starts, ends in times:
                build.sessions.setdefault(code, []).append(TrainingSession(
                    course=course,
                    starts_at=demo.at(day, starts),
                    ends_at=demo.at(day, ends),
                    venue=venues[code] if on_site else None,
                    meeting_url=None if on_site else links[code],
                ))


def place_around_now(demo: Demo) -> None:
    """Move the next session of a track to each slot of :func:`slots_around` (slot *i* to
    track *i* modulo the number of tracks): the track's first session on or after the
    slot's day, so that its sessions keep their order. Records them in ``demo.featured``."""
    build = demo.current
    by_track: dict[int, list[TrainingSession]] = {}
    for spec, _ in build.courses:
        by_track.setdefault(spec.track, []).extend(build.sessions.get(build.code(spec), []))
    moved: set[int] = set()
    for index, slot in enumerate(slots_around(demo.now.astimezone(demo.zone))):
        track = index % len(build.tracks)
        day_starts = demo.at(slot.day, time(0))
        candidates = sorted((s for s in by_track.get(track, []) if id(s) not in moved
                             and s.starts_at >= day_starts), key=lambda s: s.starts_at)
        if not candidates:
            continue
        session = candidates[0]
        session.starts_at, session.ends_at = demo.at(slot.day, slot.starts), demo.at(slot.day, slot.ends)
        moved.add(id(session))
        demo.featured.append(Featured(slot.kind, session, track))
    _keep_week_busy(demo, by_track)


def _keep_week_busy(demo: Demo, by_track: dict[int, list[TrainingSession]]) -> None:
    """Move a track's next session after today into the six days after today when it lies
    beyond them:
    to the track's first working day among them (any working weekday if the track meets on
    none of them; left alone in a week of public holidays)."""
    first, last = demo.today + timedelta(days=1), demo.today + timedelta(days=WEEK_DAYS - 1)
    week_ends = demo.at(last + timedelta(days=1), time(0))
    tomorrow = demo.at(first, time(0))
    for track, sessions in by_track.items():
        to_come = [s for s in sessions if s.starts_at >= tomorrow]
        if not to_come:
            continue
        session = min(to_come, key=lambda s: s.starts_at)
        if session.starts_at < week_ends:
            continue
        days = (working_days(first, last, demo.current.plan.weekdays[track])
                or working_days(first, last, tuple(range(5))))
        if not days:
            continue
        length = session.ends_at - session.starts_at
        session.starts_at = demo.at(days[0], session.starts_at.astimezone(demo.zone).time())
        session.ends_at = session.starts_at + length


def _number_sessions(build: PhaseBuild) -> None:
    """Titles (第 N 讲) and instructors (the course's in turn) in each course's time order;
    the phase's first session, when online, opens it."""
    first = min((s for items in build.sessions.values() for s in items), key=lambda s: s.starts_at,
                default=None)
    for items in build.sessions.values():
        items.sort(key=lambda s: s.starts_at)
        for number, session in enumerate(items, start=1):
            session.title = f"第 {number} 讲" + ("（现场教学）" if session.venue else "")
            instructors = session.course.instructors
            session.instructor = instructors[(number - 1) % len(instructors)]
    if first is not None and first.venue is None and first.title == "第 1 讲":
        first.title = OPENING_TITLE
