"""The demo's timetable as planned, before anything is written: which courses meet when.
Pure (no database): :mod:`trainhub.demo.timetable` then schedules the plan through the
scheduling operations.

The dates come from the scheduling code's own recurrence rules
(:func:`trainhub.schedule.recurrence.expand`), so public holidays are skipped as the office
would see them skipped; make-up working days (调休) fall on weekends, when no track meets.

- **A course**: its online meetings are a weekly rule, 19:00–21:00 on one of its track's
  weekdays (the track's weekdays in turn, course by course); where a track would not fit
  its phase so, its courses with most meetings meet on every weekday of the track instead.
  Its on-site days follow on the same weekdays (09:30–11:30 and 14:30–16:30, or one of
  them in turn when the phase plans one on-site session a day).
- **A track**: its courses follow one another, with equal breaks between them that spread
  them over the phase (the breaks shrink until the last course ends inside the phase).
- **Around now** (:func:`place_around_now`, the current phase only): see :func:`slots_around`
  for the times; each gets the next meeting of a track, held at that time on its own.
  A track that meets on a slot's day takes that slot, so that it is never in two places;
  the others follow in track order. A track whose next meeting after today lies beyond the
  six days after today has it brought forward to its first free working day among them
  (:func:`keep_week_busy`).

A meeting held on its own (the sessions around now, on-site days, phase 1's online launch)
is a single session; the rest of a course's online meetings are the consecutive
occurrences of its rule, one series for each unbroken run of two or more (a course whose
meeting was brought to today has a series on either side of it, or one if it was its first
or last).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta

from trainhub.courses.models import CourseMode
from trainhub.demo.catalogue import ONLINE_TIME, ONSITE_TIMES, SESSION_HOURS, CourseSpec, PhasePlan
from trainhub.schedule.recurrence import Rule, RuleError, expand

#: Bounds of the sessions placed around now (minutes after local midnight), and their length.
DAY_STARTS = 8 * 60
DAY_ENDS = 22 * 60
LENGTH = SESSION_HOURS * 60
#: Usual starting times (on-site morning and afternoon, online evening): a session still to
#: come today starts at the next of them at least half an hour ahead, else as soon as that.
USUAL_STARTS = (9 * 60 + 30, 14 * 60 + 30, 19 * 60)
#: From when until when (minutes after local midnight) a session is in progress around now.
IN_PROGRESS_FROM = 8 * 60 + 30
IN_PROGRESS_UNTIL = 21 * 60
#: Every track has a session after today within this many days from today.
WEEK_DAYS = 7
#: Weeks a track keeps free for the holidays its rules skip when it meets once a week.
HOLIDAY_WEEKS = 4


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
    order, none overlapping another (so that no learner of two tracks is asked to be in
    two sessions at once), all from 08:00 to 22:00 and two hours long:

    - today, one that ended earlier, when it fits;
    - one in progress from 08:30 until 21:00 (it ends at the next half hour after now, or
      at 10:00 in the early morning);
    - one still to come after it, at the next usual time (09:30, 14:30, 19:00) at least
      half an hour ahead, else as soon as that (until 19:30);
    - tomorrow at 09:30 instead when none is still to come today (late in the evening).
    """
    today = local_now.date()
    minute = local_now.hour * 60 + local_now.minute
    floor = minute - minute % 30
    ceil = floor + (30 if minute % 30 or local_now.second or local_now.microsecond else 0)
    slots = []

    def add(kind: str, day: date, start: int) -> None:
        slots.append(Slot(kind, day, _clock(start), _clock(start + LENGTH)))

    in_progress = None
    if IN_PROGRESS_FROM <= minute < IN_PROGRESS_UNTIL:
        in_progress = max(floor + 30 - LENGTH, DAY_STARTS)
    earlier = min(floor - 180 if in_progress is None else in_progress - LENGTH, DAY_ENDS - LENGTH)
    if earlier >= DAY_STARTS:
        add("earlier", today, earlier)
    if in_progress is not None:
        add("in_progress", today, in_progress)
    soonest = max(ceil + 30, DAY_STARTS + 30, in_progress + LENGTH if in_progress is not None else 0)
    to_come = next((start for start in USUAL_STARTS if start >= soonest), soonest)
    if to_come + LENGTH <= DAY_ENDS:
        add("to_come", today, to_come)
    else:
        add("tomorrow", today + timedelta(days=1), 9 * 60 + 30)
    return slots


@dataclass(frozen=True)
class Meeting:
    """One meeting of a course as planned (a local date and wall-clock times)."""

    day: date
    starts: time
    ends: time
    on_site: bool
    #: Its place among the occurrences of the course's online rule; None for the others
    #: (on-site days, meetings placed on their own).
    occurrence: int | None = None
    #: What holds it on its own: ``"launch"`` (phase 1's opening), a :class:`Slot`'s kind
    #: or ``"week"`` (placed around now); None for on-site days and the rule's occurrences.
    placed: str | None = None

    def overlaps(self, day: date, starts: time, ends: time) -> bool:
        return self.day == day and self.starts < ends and starts < self.ends


@dataclass
class CoursePlan:
    """A course's meetings in a phase: ``course`` indexes the phase's courses."""

    course: int
    track: int
    #: ISO weekdays (1 = Monday) of its online rule.
    weekdays: tuple[int, ...]
    meetings: list[Meeting] = field(default_factory=list)

    def runs(self) -> list[list[Meeting]]:
        """The online rule's occurrences still planned, in unbroken runs (a run of one is
        held as a single session)."""
        runs: list[list[Meeting]] = []
        for meeting in sorted((m for m in self.meetings if m.occurrence is not None),
                              key=lambda m: m.occurrence):
            if runs and runs[-1][-1].occurrence == meeting.occurrence - 1:
                runs[-1].append(meeting)
            else:
                runs.append([meeting])
        return [run for run in runs if len(run) > 1]

    def rules(self) -> list[Rule]:
        """One rule per run: from its first date, as many sessions (holidays skipped)."""
        return [Rule(weekdays=self.weekdays, starts_time=run[0].starts, ends_time=run[0].ends,
                     first_date=run[0].day, count=len(run)) for run in self.runs()]

    @property
    def singles(self) -> list[Meeting]:
        """The meetings held on their own, in time order."""
        in_runs = {id(meeting) for run in self.runs() for meeting in run}
        return sorted((m for m in self.meetings if id(m) not in in_runs), key=lambda m: (m.day, m.starts))


def _iso(weekdays: Iterable[int]) -> tuple[int, ...]:
    """Catalogue weekdays (Monday = 0) as the rules count them (Monday = 1)."""
    return tuple(day + 1 for day in weekdays)


def _dates(weekdays: tuple[int, ...], first: date, count: int) -> list[date]:
    """The first ``count`` dates on ``weekdays`` from ``first``, public holidays skipped."""
    rule = Rule(weekdays=weekdays, starts_time=ONLINE_TIME[0], ends_time=ONLINE_TIME[1],
                first_date=first, count=count)
    return [occurrence.day for occurrence in expand(rule).occurrences]


def _counts(spec: CourseSpec) -> tuple[int, int]:
    """(online meetings, on-site sessions) of a course: a blended course has two on site."""
    count = spec.hours // SESSION_HOURS
    on_site = {CourseMode.ONLINE: 0, CourseMode.BLENDED: 2, CourseMode.ONSITE: count}[spec.mode]
    return count - on_site, on_site


def _meeting_days(spec: CourseSpec, per_day: int) -> int:
    online, on_site = _counts(spec)
    return online + -(-on_site // per_day)


def _course(index: int, spec: CourseSpec, plan: PhasePlan, track: int, weekdays: tuple[int, ...],
            first: date, *, launch_on: date | None) -> CoursePlan:
    """A course's meetings from ``first`` on: the launch (if any), its online rule, then its
    on-site days."""
    course = CoursePlan(course=index, track=track, weekdays=weekdays)
    online, on_site = _counts(spec)
    if launch_on is not None and online:
        course.meetings.append(Meeting(launch_on, *ONLINE_TIME, on_site=False, placed="launch"))
        online -= 1
    if online:
        days = _dates(weekdays, first, online)
        course.meetings += [Meeting(day, *ONLINE_TIME, on_site=False, occurrence=number)
                            for number, day in enumerate(days)]
        first = days[-1] + timedelta(days=1)
    per_day = plan.onsite_per_day
    if on_site:
        for number, day in enumerate(_dates(weekdays, first, -(-on_site // per_day))):
            held = min(per_day, on_site - number * per_day)
            times = ONSITE_TIMES[:held] if per_day > 1 else (ONSITE_TIMES[number % 2],)
            course.meetings += [Meeting(day, starts, ends, on_site=True) for starts, ends in times]
    return course


def _last_day(courses: list[CoursePlan]) -> date:
    return max(meeting.day for course in courses for meeting in course.meetings)


def _rule_weekdays(plan: PhasePlan, specs: list[CourseSpec], weekdays: tuple[int, ...], *,
                   weeks: int) -> list[tuple[int, ...]]:
    """The weekdays of each course's rule: once a week, on the track's weekdays in turn;
    the courses with most meetings first meet on every weekday of the track instead, as
    long as the track would not fit in ``weeks`` (less :data:`HOLIDAY_WEEKS`) otherwise."""
    days = [_meeting_days(spec, plan.onsite_per_day) for spec in specs]
    chosen = [(weekdays[n % len(weekdays)],) for n in range(len(specs))]
    for n in sorted(range(len(specs)), key=lambda n: (-days[n], n)):
        if sum(-(-d // len(c)) for d, c in zip(days, chosen, strict=True)) + HOLIDAY_WEEKS <= weeks:
            break
        chosen[n] = weekdays
    return chosen


def _track(plan: PhasePlan, track: int, first: date, last: date, *,
           launch_on: date | None) -> list[CoursePlan]:
    """A track's courses one after another from ``first``, with equal breaks that spread
    them up to ``last`` (shortened until the last course ends by then)."""
    specs = [(index, spec) for index, spec in enumerate(plan.courses) if spec.track == track]
    rule_days = _rule_weekdays(plan, [spec for _, spec in specs], _iso(plan.weekdays[track]),
                               weeks=((last - first).days + 1) // 7)

    def place(gap: int) -> list[CoursePlan]:
        courses, cursor = [], first
        for n, (index, spec) in enumerate(specs):
            course = _course(index, spec, plan, track, rule_days[n], cursor,
                             launch_on=launch_on if n == 0 else None)
            courses.append(course)
            cursor = max(meeting.day for meeting in course.meetings) + timedelta(days=1 + gap)
        return courses

    courses = place(0)
    if len(specs) > 1:
        for gap in range((last - _last_day(courses)).days // (len(specs) - 1), 0, -1):
            spread = place(gap)
            if _last_day(spread) <= last:
                return spread
    return courses


def lay_out(plan: PhasePlan, starts_on: date, ends_on: date, *, launch: bool) -> list[CoursePlan]:
    """Every course's meetings in a phase, in the order of ``plan.courses``. With ``launch``
    the first track's first course opens online on the phase's first day (phase 1's
    launch) and every track's courses begin the day after."""
    first = starts_on + timedelta(days=1) if launch else starts_on
    courses = []
    for track in range(len(plan.tracks)):
        courses += _track(plan, track, first, ends_on,
                          launch_on=starts_on if launch and track == 0 else None)
    return sorted(courses, key=lambda course: course.course)


# around now ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Placed:
    """A meeting placed around now: the slot's kind (or ``"week"``), its track and course."""

    kind: str
    track: int
    course: CoursePlan
    meeting: Meeting


def _track_meetings(courses: list[CoursePlan], track: int) -> list[tuple[CoursePlan, Meeting]]:
    return sorted(((course, meeting) for course in courses if course.track == track
                   for meeting in course.meetings), key=lambda item: (item[1].day, item[1].starts))


def _move(course: CoursePlan, meeting: Meeting, day: date, starts: time, ends: time,
          kind: str) -> Meeting:
    """Hold ``meeting`` at another time instead, on its own (no longer of the rule)."""
    course.meetings.remove(meeting)
    moved = replace(meeting, day=day, starts=starts, ends=ends, occurrence=None, placed=kind)
    course.meetings.append(moved)
    return moved


def place_around_now(courses: list[CoursePlan], local_now: datetime) -> list[Placed]:
    """Hold the next meeting of a track at each slot of :func:`slots_around`: a track that
    meets on the slot's day takes it (its meeting of that day moves into the slot), the
    others go to the remaining slots in track order. Answers them in time order."""
    slots = slots_around(local_now)
    tracks = sorted({course.track for course in courses})
    taken: dict[int, int] = {}
    for index, slot in enumerate(slots):
        meeting_here = [track for track in tracks if track not in taken.values()
                        and any(m.day == slot.day for _, m in _track_meetings(courses, track))]
        if meeting_here:
            taken[index] = meeting_here[0]
    rest = [track for track in tracks if track not in taken.values()]
    placed = []
    for index, slot in enumerate(slots):
        track = taken[index] if index in taken else (rest.pop(0) if rest else tracks[index % len(tracks)])
        upcoming = [(course, meeting) for course, meeting in _track_meetings(courses, track)
                    if meeting.day >= slot.day and meeting.placed is None]
        if not upcoming:
            continue
        course, meeting = upcoming[0]
        moved = _move(course, meeting, slot.day, slot.starts, slot.ends, slot.kind)
        placed.append(Placed(slot.kind, track, course, moved))
    return placed


def _working_days(first: date, last: date, weekdays: tuple[int, ...]) -> list[date]:
    """Days from ``first`` to ``last`` on ``weekdays`` (ISO) that are not public holidays,
    as a rule of the scheduling code expands them."""
    if last < first:
        return []
    rule = Rule(weekdays=weekdays, starts_time=ONLINE_TIME[0], ends_time=ONLINE_TIME[1],
                first_date=first, until_date=last)
    try:
        return [occurrence.day for occurrence in expand(rule).occurrences]
    except RuleError:  # no such day in the range
        return []


def _minutes(clock: time) -> int:
    return clock.hour * 60 + clock.minute


def _free_spot(courses: list[CoursePlan], meeting: Meeting, days: list[date]) -> tuple[date, time, time] | None:
    """The first of ``days`` and of the meeting's own then the usual starting times at
    which it overlaps no other meeting of the phase."""
    length = _minutes(meeting.ends) - _minutes(meeting.starts)
    starts = [_minutes(meeting.starts), *(s for s in USUAL_STARTS if s != _minutes(meeting.starts))]
    for day in days:
        for start in starts:
            begins, ends = _clock(start), _clock(start + length)
            if not any(m.overlaps(day, begins, ends) for course in courses for m in course.meetings):
                return day, begins, ends
    return None


def keep_week_busy(courses: list[CoursePlan], today: date) -> list[Placed]:
    """Bring a track's next meeting after today forward when it lies beyond the six days
    after today: to the first working day among them on the track's weekdays (any working
    weekday if it meets on none of them; left alone in a week of public holidays) at its
    usual time, or the next usual time at which the phase has no other meeting."""
    first, last = today + timedelta(days=1), today + timedelta(days=WEEK_DAYS - 1)
    moved = []
    for track in sorted({course.track for course in courses}):
        ahead = [(course, meeting) for course, meeting in _track_meetings(courses, track) if meeting.day > today]
        if not ahead or ahead[0][1].day <= last:
            continue
        course, meeting = ahead[0]
        own = tuple(sorted({day for c in courses if c.track == track for day in c.weekdays}))
        days = _working_days(first, last, own)
        days += [day for day in _working_days(first, last, (1, 2, 3, 4, 5)) if day not in days]
        spot = _free_spot(courses, meeting, days)
        if spot is not None:
            moved.append(Placed("week", track, course, _move(course, meeting, *spot, "week")))
    return moved

