"""Template filters and globals: local time, dates, labels, numbers, navigation.

Filters (all return ``"—"`` or ``""`` for missing values rather than failing a page):

- ``localtime``: a UTC timestamp shown in the configured zone (``TIMEZONE``, Asia/Shanghai);
- ``date``: a date, or a timestamp's local date, e.g. ``2023-02-15``;
- ``weekday``: the Chinese weekday of a date or timestamp, e.g. ``周三``;
- ``timespan``: a session's start and end, e.g. ``2023-02-15（周三）19:00–21:00``;
- ``label``: the Chinese label of a :class:`~trainhub.db.LabelledEnum` member;
- ``number``: thousands separators, trailing zeros dropped (``1,234``, ``12.5``);
- ``percent``: a fraction as a percentage (``0.8567`` → ``85.7%``).

Navigation is a per-application registry of :class:`NavItem`: an item appears for the roles
it names, only when its endpoint exists in ``app.view_functions`` (features built later add
their pages without touching the layout) and only when the endpoint's declared
``allowed_roles`` admit the user.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from decimal import Decimal
from zoneinfo import ZoneInfo

from flask import current_app, request, url_for

from trainhub.auth import STAFF, Role
from trainhub.localtime import format_date, format_localtime, format_timespan, format_weekday

EMPTY = "—"
#: Marker for navigation items shown only to visitors who are not signed in.
ANONYMOUS = "anonymous"
_ALL_ROLES = frozenset(Role)


# values --------------------------------------------------------------------------------------


def format_label(value) -> str:
    """The Chinese label of an enum member; plain values pass through."""
    if value is None:
        return ""
    label = getattr(value, "label", None)
    if isinstance(label, str):
        return label
    if isinstance(value, enum.Enum):
        return str(value.value)
    return str(value)


def format_number(value, digits: int | None = None) -> str:
    """Thousands separators; ``digits`` fixes the decimals, otherwise trailing zeros go."""
    if value is None or value == "":
        return EMPTY
    if isinstance(value, bool):
        return str(value)
    if digits is not None:
        return f"{Decimal(str(value)):,.{digits}f}"
    if isinstance(value, int):
        return f"{value:,}"
    number = Decimal(str(value))
    if number == number.to_integral_value():
        return f"{int(number):,}"
    text = f"{number:,f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def format_percent(value, digits: int = 1) -> str:
    """A fraction (0–1) as a percentage; None (nothing to measure yet) shows ``—``."""
    if value is None:
        return EMPTY
    return f"{Decimal(str(value)) * 100:.{digits}f}%"


# navigation ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class NavItem:
    """One link of the navigation bar.

    ``roles``: the roles it is shown to (a set of :class:`Role`, or ``{ANONYMOUS}``).
    ``section``: ``"main"`` (left, the features) or ``"account"`` (the user's menu).
    ``method``: ``"post"`` renders a small form with a CSRF token (signing out).
    """

    label: str
    endpoint: str
    roles: frozenset = field(default_factory=lambda: _ALL_ROLES)
    section: str = "main"
    method: str = "get"
    order: int = 100


DEFAULT_NAV: tuple[NavItem, ...] = (
    NavItem("首页", "dashboard.index", _ALL_ROLES, order=0),
    NavItem("县区", "geo.counties", frozenset({Role.OFFICE}), order=10),
    NavItem("本区域县区", "geo.counties", frozenset({Role.COORDINATOR}), order=10),
    NavItem("机构", "orgs.list", frozenset({Role.OFFICE, Role.COORDINATOR, Role.CERTIFIER}), order=20),
    NavItem("牵手结对", "orgs.pairings", frozenset({Role.OFFICE, Role.COORDINATOR}), order=25),
    NavItem("学员", "learners.list", frozenset({Role.OFFICE, Role.COORDINATOR}), order=30),
    NavItem("导入", "imports.new", frozenset({Role.OFFICE, Role.COORDINATOR}), order=35),
    NavItem("导入课次", "schedule_import.new", frozenset({Role.OFFICE}), order=44),
    NavItem("课程", "courses.list", frozenset({Role.OFFICE, Role.COORDINATOR, Role.CERTIFIER}), order=40),
    NavItem("我的课程", "courses.list", frozenset({Role.INSTRUCTOR}), order=40),
    NavItem("项目与阶段", "catalogue.programme", frozenset({Role.OFFICE}), order=38),
    NavItem("场地", "venues.list", frozenset({Role.OFFICE}), order=42),
    NavItem("本区域场地", "venues.list", frozenset({Role.COORDINATOR}), order=42),
    NavItem("课表", "timetable.list", _ALL_ROLES, order=45),
    NavItem("日历", "timetable.month", _ALL_ROLES, order=46),
    # on their phones, trainees and instructors subscribe to their timetable: in the bar;
    # for the other roles it waits in the account menu
    NavItem("日历订阅", "feeds.subscription", frozenset({Role.INSTRUCTOR, Role.TRAINEE}), order=47),
    NavItem("覆盖情况", "reports.coverage", frozenset({Role.OFFICE, Role.COORDINATOR}), order=50),
    NavItem("我的信息", "learners.me", frozenset({Role.TRAINEE}), order=10),
    NavItem("用户管理", "accounts.users", frozenset({Role.OFFICE}), order=80),
    NavItem("任务", "jobs.list", frozenset({Role.OFFICE}), order=90),
    # trainees may hold tokens (a mini-program signs in for them) but never need the page
    NavItem("API 令牌", "accounts.tokens", STAFF, section="account", order=10),
    NavItem("日历订阅", "feeds.subscription", frozenset({Role.OFFICE, Role.COORDINATOR, Role.CERTIFIER}),
            section="account", order=5),
    NavItem("修改密码", "accounts.change_password", _ALL_ROLES, section="account", order=20),
    NavItem("退出", "accounts.logout", _ALL_ROLES, section="account", method="post", order=90),
    NavItem("登录", "accounts.login", frozenset({ANONYMOUS}), section="account", order=0),
)


def register_nav_item(app, item: NavItem) -> None:
    """Add a link to ``app``'s navigation (a feature calls this from its set-up)."""
    app.extensions["trainhub_nav"].append(item)


def _admits(endpoint: str, role) -> bool:
    view = current_app.view_functions.get(endpoint)
    if view is None:
        return False
    allowed = getattr(view, "allowed_roles", None)
    if allowed is None or allowed == "public" or role == ANONYMOUS:
        return True
    return role in allowed


def nav_items(user, section: str = "main") -> list[dict]:
    """The links ``user`` (a user or an anonymous visitor) sees in ``section``."""
    role = user.role if getattr(user, "is_authenticated", False) else ANONYMOUS
    current = request.endpoint if request else None
    items = []
    for item in sorted(current_app.extensions["trainhub_nav"], key=lambda i: i.order):
        if item.section != section or role not in item.roles or not _admits(item.endpoint, role):
            continue
        items.append(
            {
                "label": item.label,
                "url": url_for(item.endpoint),
                "method": item.method,
                "active": current == item.endpoint,
            }
        )
    return items


def may(user, endpoint: str) -> bool:
    """Whether ``user`` may open ``endpoint``: pages link only where the reader may go."""
    role = user.role if getattr(user, "is_authenticated", False) else ANONYMOUS
    view = current_app.view_functions.get(endpoint)
    allowed = getattr(view, "allowed_roles", None)
    return allowed == "public" or (allowed is not None and role in allowed)


def url_if(endpoint: str, **values) -> str | None:
    """``url_for`` for an endpoint that may not exist (yet); None when it does not."""
    if endpoint not in current_app.view_functions:
        return None
    return url_for(endpoint, **values)


# registration --------------------------------------------------------------------------------


def init_templating(app) -> None:
    ZoneInfo(app.config["TIMEZONE"])  # fail at start-up on a misspelt zone, not on a page
    app.extensions["trainhub_nav"] = list(DEFAULT_NAV)
    app.add_template_filter(format_localtime, "localtime")
    app.add_template_filter(format_date, "date")
    app.add_template_filter(format_weekday, "weekday")
    app.add_template_filter(format_timespan, "timespan")
    app.add_template_filter(format_label, "label")
    app.add_template_filter(format_number, "number")
    app.add_template_filter(format_percent, "percent")
    app.add_template_global(nav_items, "nav_items")
    app.add_template_global(url_if, "url_if")
    app.add_template_global(may, "may")
