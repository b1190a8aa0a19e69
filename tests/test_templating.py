"""Template filters, the navigation per role and the base layout (flash messages)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import Decimal
from html.parser import HTMLParser

import pytest
from flask import flash, render_template, render_template_string

from trainhub.accounts.models import Role
from trainhub.attendance.models import AttendanceStatus
from trainhub.auth import public, roles_required
from trainhub.templating import NavItem, register_nav_item

# filters -------------------------------------------------------------------------------------


def render(app, source: str, **context) -> str:
    with app.test_request_context():
        return render_template_string(source, **context)


def test_localtime_shows_utc_in_shanghai_time(app):
    value = datetime(2023, 2, 15, 11, 30, tzinfo=UTC)
    assert render(app, "{{ v|localtime }}", v=value) == "2023-02-15 19:30"
    assert render(app, "{{ v|localtime('%H:%M') }}", v=value) == "19:30"
    # naive values are taken as UTC; nothing shows for a missing value
    assert render(app, "{{ v|localtime }}", v=value.replace(tzinfo=None)) == "2023-02-15 19:30"
    assert render(app, "{{ v|localtime }}", v=None) == ""


def test_localtime_follows_the_configured_zone(app):
    app.config["TIMEZONE"] = "Asia/Urumqi"  # UTC+6
    value = datetime(2023, 2, 15, 11, 30, tzinfo=UTC)
    assert render(app, "{{ v|localtime }}", v=value) == "2023-02-15 17:30"


def test_date_filter_uses_the_local_date(app):
    assert render(app, "{{ v|date }}", v=date(2023, 2, 15)) == "2023-02-15"
    # 17:00 UTC is already the next day in Beijing
    assert render(app, "{{ v|date }}", v=datetime(2023, 2, 15, 17, 0, tzinfo=UTC)) == "2023-02-16"
    assert render(app, "{{ v|date('%Y年%m月%d日') }}", v=date(2023, 2, 15)) == "2023年02月15日"
    assert render(app, "{{ v|date }}", v=None) == ""


def test_weekday_and_timespan(app):
    start = datetime(2023, 2, 15, 11, 0, tzinfo=UTC)  # 19:00 Wednesday in Beijing
    assert render(app, "{{ v|weekday }}", v=start) == "周三"
    assert render(app, "{{ v|weekday }}", v=date(2023, 2, 19)) == "周日"
    same_day = datetime(2023, 2, 15, 13, 0, tzinfo=UTC)
    assert render(app, "{{ a|timespan(b) }}", a=start, b=same_day) == "2023-02-15（周三）19:00–21:00"
    next_day = datetime(2023, 2, 16, 1, 0, tzinfo=UTC)
    assert render(app, "{{ a|timespan(b) }}", a=start, b=next_day) == (
        "2023-02-15（周三）19:00 至 2023-02-16 09:00"
    )


def test_label_filter(app):
    assert render(app, "{{ v|label }}", v=Role.OFFICE) == "项目办"
    assert render(app, "{{ v|label }}", v=AttendanceStatus.LEFT_EARLY) == "早退"
    assert render(app, "{{ v|label }}", v=None) == ""
    assert render(app, "{{ v|label }}", v="其他") == "其他"


@pytest.mark.parametrize(
    ("value", "args", "expected"),
    [
        (1234567, "", "1,234,567"),
        (0, "", "0"),
        (Decimal("12.0"), "", "12"),
        (Decimal("12.5"), "", "12.5"),
        (Decimal("1234.50"), "", "1,234.5"),
        (2.25, "(1)", "2.2"),
        (1234, "(2)", "1,234.00"),
        (None, "", "—"),
    ],
)
def test_number_filter(app, value, args, expected):
    assert render(app, "{{ v|number" + args + " }}", v=value) == expected


@pytest.mark.parametrize(
    ("value", "args", "expected"),
    [(0.75, "", "75.0%"), (1, "", "100.0%"), (0, "", "0.0%"), (2 / 3, "(0)", "67%"),
     (Decimal("0.8"), "", "80.0%"), (None, "", "—")],
)
def test_percent_filter(app, value, args, expected):
    assert render(app, "{{ v|percent" + args + " }}", v=value) == expected


def test_misspelt_time_zone_stops_start_up(app_config):
    from trainhub import create_app

    with pytest.raises(Exception, match="Asia/Shangai"):
        create_app(dict(app_config, TIMEZONE="Asia/Shangai"))


# navigation ----------------------------------------------------------------------------------


class _Nav(HTMLParser):
    """Links and buttons of the navigation bar: (text, href or form action, method)."""

    def __init__(self):
        super().__init__()
        self.in_nav = False
        self.items: list[tuple[str, str, str]] = []
        self._current: list | None = None
        self._form_action: str | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "nav":
            self.in_nav = True
        if not self.in_nav:
            return
        if tag == "form":
            self._form_action = attrs.get("action")
        elif tag == "a" and attrs.get("href") not in (None, "#"):
            self._current = ["", attrs["href"], "get"]
        elif tag == "button" and attrs.get("type") == "submit":
            self._current = ["", self._form_action, "post"]

    def handle_endtag(self, tag):
        if tag == "nav":
            self.in_nav = False
        if tag in ("a", "button") and self._current is not None:
            self.items.append((self._current[0].strip(), self._current[1], self._current[2]))
            self._current = None

    def handle_data(self, data):
        if self._current is not None:
            self._current[0] += data


def nav_of(page: str) -> list[tuple[str, str, str]]:
    parser = _Nav()
    parser.feed(page)
    return parser.items


def labels(page: str) -> list[str]:
    return [text for text, _, _ in nav_of(page)]


ACCOUNT = ["API 令牌", "修改密码", "退出"]
#: The account menu of the staff who do not subscribe from a phone in the first place.
DESK_ACCOUNT = ["日历订阅", *ACCOUNT]


def test_office_navigation(client, login):
    login(Role.OFFICE, display_name="王项目办")
    page = client.get("/").get_data(as_text=True)
    items = nav_of(page)
    assert ("牵手计划培训管理", "/", "get") in items
    assert [t for t in labels(page) if t != "牵手计划培训管理"] == [
        "首页", "县区", "机构", "牵手结对", "学员", "导入", "项目与阶段", "课程", "场地", "导入课次", "课表",
        "日历", "覆盖情况", "用户管理", "任务", *DESK_ACCOUNT,
    ]
    assert ("学员", "/learners", "get") in items
    assert ("项目与阶段", "/programme", "get") in items
    assert ("场地", "/venues", "get") in items
    assert ("县区", "/counties", "get") in items
    assert ("用户管理", "/users", "get") in items
    assert ("任务", "/jobs", "get") in items
    assert ("API 令牌", "/account/tokens", "get") in items
    assert ("日历订阅", "/calendar", "get") in items
    assert ("修改密码", "/account/password", "get") in items
    assert ("退出", "/logout", "post") in items
    # the user's name and role label
    assert '<span class="user-name">王项目办</span>' in page
    assert '<span class="badge text-bg-light ms-1 user-role">项目办</span>' in page
    # the current page is marked
    assert re.search(r'class="nav-link active" href="/"\s+aria-current="page"', page)


def test_sign_out_is_a_post_form_with_csrf_token(app, client, login):
    login(Role.TRAINEE)
    app.config["WTF_CSRF_ENABLED"] = True
    page = client.get("/").get_data(as_text=True)
    form = re.search(r'<form method="post" action="/logout"[^>]*>(.*?)</form>', page, re.S)
    assert form and re.search(r'name="csrf_token" value="[^"]+"', form.group(1))


def test_coordinator_navigation(client, login, reference_data):
    login(Role.COORDINATOR, scope_code="52", display_name="贵州联络员")
    page = client.get("/").get_data(as_text=True)
    assert [t for t in labels(page) if t != "牵手计划培训管理"] == [
        "首页", "本区域县区", "机构", "牵手结对", "学员", "导入", "课程", "本区域场地", "课表", "日历",
        "覆盖情况", *DESK_ACCOUNT,
    ]
    assert "实施点联络员" in page


@pytest.mark.parametrize(
    ("role", "features", "account"),
    [(Role.INSTRUCTOR, ["我的课程", "课表", "日历", "日历订阅"], ACCOUNT),
     (Role.CERTIFIER, ["机构", "课程", "课表", "日历"], DESK_ACCOUNT),
     (Role.TRAINEE, ["我的信息", "课表", "日历", "日历订阅"], ["修改密码", "退出"])],
)
def test_other_roles_see_home_their_features_and_their_account(client, login, role, features,
                                                               account):
    login(role)
    page = client.get("/").get_data(as_text=True)
    assert [t for t in labels(page) if t != "牵手计划培训管理"] == ["首页", *features, *account]
    assert f"user-role\">{role.label}</span>" in page


def test_trainees_keep_the_token_page_out_of_their_menu(client, login):
    """A trainee has no use for API tokens in the menu, but a mini-program acting for them
    may need one: the page stays open to them."""
    login(Role.TRAINEE)
    assert "API 令牌" not in labels(client.get("/").get_data(as_text=True))
    assert client.get("/account/tokens").status_code == 200


def test_anonymous_navigation_offers_sign_in(client):
    page = client.get("/login").get_data(as_text=True)
    assert [t for t in labels(page) if t != "牵手计划培训管理"] == ["登录"]
    assert ("登录", "/login", "get") in nav_of(page)


def test_navigation_collapses_on_phones(client):
    page = client.get("/login").get_data(as_text=True)
    assert 'class="navbar navbar-expand-lg' in page
    assert 'data-bs-target="#main-nav"' in page and 'id="main-nav"' in page
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in page


def test_nav_registry_skips_missing_and_forbidden_endpoints(app, client, login):
    def notes():
        return render_template("base.html")

    def office_only():
        return render_template("base.html")

    app.add_url_rule("/test-only/notes", "test_notes", public(notes))
    app.add_url_rule("/test-only/office", "test_office", roles_required(Role.OFFICE)(office_only))
    everyone = frozenset(Role)
    register_nav_item(app, NavItem("通知", "test_notes", everyone, order=50))
    # named for every role, but the view admits only the office
    register_nav_item(app, NavItem("办公", "test_office", everyone, order=51))
    # a feature that is not built (yet)
    register_nav_item(app, NavItem("证书", "certificates.not_built_yet", everyone, order=52))

    login(Role.INSTRUCTOR)
    page = client.get("/").get_data(as_text=True)
    assert "通知" in labels(page)
    assert "办公" not in labels(page) and "证书" not in labels(page)

    client.post("/logout")
    login(Role.OFFICE)
    page = client.get("/").get_data(as_text=True)
    assert {"通知", "办公"} <= set(labels(page)) and "证书" not in labels(page)


# flash messages ------------------------------------------------------------------------------


def test_flash_messages_show_with_their_category(app, client):
    def flashing():
        for category in ("success", "info", "warning", "danger", "error", "message", "odd"):
            flash(f"消息-{category}", category)
        return render_template("base.html")

    app.add_url_rule("/test-only/flash", "test_flash", public(flashing))
    page = client.get("/test-only/flash").get_data(as_text=True)
    shown = re.findall(r'<div class="alert alert-(\w+) [^"]*"[^>]*>\s*消息-(\w+)', page)
    assert shown == [
        ("success", "success"), ("info", "info"), ("warning", "warning"), ("danger", "danger"),
        ("danger", "error"), ("info", "message"), ("info", "odd"),
    ]
    assert 'aria-label="关闭"' in page
