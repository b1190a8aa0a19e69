"""The state the demo's builder steps share: the random source, the moment the demo is made,
and what each step has made so far for the steps after it."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from trainhub.accounts.models import Role, User
from trainhub.courses.models import Course, Phase, Programme, Track, TrainingSession, Venue
from trainhub.demo.catalogue import CourseSpec, PhasePlan
from trainhub.geo.models import County
from trainhub.learners.models import Learner
from trainhub.orgs.models import Organisation, OrgKind

#: Password of every demo account; ``trainhub demo`` prints it. Demo machines only.
DEMO_PASSWORD = "Qianshou-2023"  # noqa: S105 (documented demo password, printed on purpose)


class DemoError(ValueError):
    """The demo data cannot be created here; ``message`` (Chinese) says why."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass
class DemoAccount:
    username: str
    role: Role
    display_name: str
    scope_code: str | None = None
    #: What to look at with this account, e.g. the session it has today.
    note: str | None = None


@dataclass
class DemoSummary:
    seed: int
    password: str
    #: The day (local) the timetable is built around.
    today: date | None = None
    counts: dict[str, int] = field(default_factory=dict)
    #: The current phase: its name and window.
    phase_name: str = ""
    phase_window: tuple[date, date] | None = None
    #: The programme's end before the demo moved it (None when the phase fitted).
    programme_extended_from: date | None = None
    programme_ends_on: date | None = None
    #: The staff accounts the demo made, in role order.
    accounts: list[DemoAccount] = field(default_factory=list)
    #: A trainee with a session today (or tomorrow, late in the evening).
    trainee: DemoAccount | None = None
    trainee_usernames: list[str] = field(default_factory=list)
    #: Demo user names that existed already and were left unchanged.
    kept_usernames: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Place:
    """Where demo learners work: an agency or a township station of a county."""

    name: str
    kind: OrgKind
    county: County
    #: The township of a station (its address).
    town: str = ""


@dataclass
class PhaseBuild:
    """One phase as the demo fills it: its courses and their sessions, by course code."""

    phase: Phase
    tracks: list[Track]
    plan: PhasePlan
    courses: list[tuple[CourseSpec, Course]] = field(default_factory=list)
    sessions: dict[str, list[TrainingSession]] = field(default_factory=dict)
    #: Enrolments open from … to … (local dates); late enrolments fall after the first day.
    enrol_from: date | None = None
    enrol_until: date | None = None

    def code(self, spec: CourseSpec) -> str:
        return spec.code(self.phase.number)


@dataclass
class Featured:
    """A session placed around the moment the demo is made, and why (see ``showcase``)."""

    kind: str
    session: TrainingSession
    track: int


@dataclass
class Demo:
    """Everything the steps share. Each step reads what earlier steps left here and adds
    its own; the order of the steps (and of their draws from ``rng``) makes the data set
    reproducible for a seed and a moment."""

    rng: random.Random
    #: The moment the demo is made (UTC) and the zone its "today" is taken in.
    now: datetime
    zone: ZoneInfo
    summary: DemoSummary
    learner_count: int = 0
    #: Users that existed before, by lower-case name (a demo name that exists is left alone).
    users: dict[str, User] = field(default_factory=dict)
    password_hash: str | None = None

    counties: list[County] = field(default_factory=list)
    places: list[Place] = field(default_factory=list)
    agencies: list[Organisation] = field(default_factory=list)
    supporters: list[Organisation] = field(default_factory=list)
    stations: list[Organisation] = field(default_factory=list)
    sites: list[Organisation] = field(default_factory=list)
    #: The training room of each implementation site, by the site's organisation id.
    venues: dict[int, Venue] = field(default_factory=dict)
    pairings: int = 0

    office: User | None = None
    coordinators: list[User] = field(default_factory=list)
    instructors: list[User] = field(default_factory=list)

    programme: Programme | None = None
    history: PhaseBuild | None = None
    current: PhaseBuild | None = None
    #: Sessions placed around now, in time order.
    featured: list[Featured] = field(default_factory=list)
    #: Sessions the office cancelled, and rescheduled, after the learners enrolled.
    cancelled: list[TrainingSession] = field(default_factory=list)
    rescheduled: list[TrainingSession] = field(default_factory=list)

    learners: list[Learner] = field(default_factory=list)
    enrolments: list[dict] = field(default_factory=list)
    attendance: list[dict] = field(default_factory=list)
    leave_requests: int = 0
    assessments: int = 0

    @property
    def today(self) -> date:
        return self.now.astimezone(self.zone).date()

    def at(self, day: date, clock: time) -> datetime:
        """A local wall-clock time as a UTC instant."""
        return datetime.combine(day, clock, tzinfo=self.zone).astimezone(UTC)

    @property
    def phases(self) -> list[PhaseBuild]:
        return [build for build in (self.history, self.current) if build is not None]
