"""Every page of every role fits a 375 px phone screen.

The rule (ENGINEERING.md, "Phone first"): no page scrolls sideways, nothing sits in a box
that scrolls sideways, every button and link is on the screen, and every table is a list of
``templates/_list.html`` (cards at phone width, each value with its label).

Which pages: the application's URL map, not a list kept by hand. For each role the test signs
in as a demo account and walks the links of its pages from every GET route without
parameters, so that detail pages are reached with real ids the role may open (a course, a
learner, an organisation, a pairing, an enrolment, a county, a job). Pages reached only
through a form (an import's preview and result, a job just started, an activation link)
are set up once through the pages themselves. A route that no role reaches fails
:func:`test_every_page_is_reached`: give it a link or a seed below. Routes that are not pages
are listed in ``NOT_PAGES`` with the reason; a new download or JSON route that is not listed
fails with a message saying so.

Bounded: each route is opened once per role (the first link found to it), at most
``MAX_PAGES_PER_ROLE`` pages; the server and its demo data are set up once per test process.
"""

from __future__ import annotations

import html
import re
import sqlite3
from dataclasses import dataclass, field
from datetime import date, timedelta
from urllib.parse import urlsplit

import pytest
from werkzeug.exceptions import HTTPException
from werkzeug.routing import RequestRedirect

from trainhub.demo.operations import DEMO_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

PHONE = {"width": 375, "height": 740}
MAX_PAGES_PER_ROLE = 120

#: GET routes that are not pages, with the reason. Everything else must fit a phone.
NOT_PAGES = {
    "static": "the application's CSS and JavaScript",
    "bootstrap.static": "Bootstrap's files, served locally",
    "dashboard.healthz": "JSON for the proxy and monitoring",
    "jobs.status": "JSON polled by the job page",
    "courses.export": "download (.xlsx)",
    "orgs.export": "download (.xlsx)",
    "orgs.pairings_export": "download (.xlsx)",
    "reports.coverage_export": "download (.xlsx)",
    "imports.template": "download (.xlsx)",
    "imports.rejected": "download (.xlsx)",
    "learners.export": "download (.xlsx)",
}
#: Every route under this prefix is the JSON API (tests/test_openapi.py and the API tests).
API_PREFIX = "/api/"

ROLES = ["anonymous", "office", "coordinator", "instructor", "certifier", "trainee"]

#: Measures the page; runs in the browser after load.
MEASURE = """() => {
  const width = document.documentElement.clientWidth;
  const describe = (el) => {
    let text = el.tagName.toLowerCase();
    if (el.id) text += '#' + el.id;
    if (el.classList.length) text += '.' + [...el.classList].slice(0, 4).join('.');
    const words = (el.innerText || el.value || el.getAttribute('aria-label') || '').trim().replace(/\\s+/g, ' ');
    return words ? `${text} "${words.slice(0, 30)}"` : text;
  };
  const visible = (el) => {
    const style = getComputedStyle(el);
    if (style.visibility === 'hidden' || style.display === 'none') return false;
    const box = el.getBoundingClientRect();
    return box.width > 0 && box.height > 0 && el.getClientRects().length > 0;
  };
  const scrolling = [];
  for (const el of document.body.querySelectorAll('*')) {
    const overflow = getComputedStyle(el).overflowX;
    if ((overflow === 'auto' || overflow === 'scroll') && el.scrollWidth > el.clientWidth + 1 && visible(el)) {
      scrolling.push(`${describe(el)} (${el.scrollWidth} px in ${el.clientWidth} px)`);
    }
  }
  const offscreen = [];
  for (const el of document.querySelectorAll('a[href], button, input:not([type=hidden]), select, textarea')) {
    if (!visible(el)) continue;
    const box = el.getBoundingClientRect();
    if (box.right > width + 1 || box.left < -1) offscreen.push(`${describe(el)} (${Math.round(box.left)}–${Math.round(box.right)} px)`);
  }
  const tables = [...document.querySelectorAll('main table')].filter((t) => !t.classList.contains('list-table'))
    .map(describe);
  const unlabelled = [];
  for (const cell of document.querySelectorAll('.list-cards > table > tbody > tr > *')) {
    if (!visible(cell) || cell.hasAttribute('data-label')) continue;
    if (cell.matches('.list-title, .list-actions, .list-check, .list-note')) continue;
    unlabelled.push(describe(cell));
  }
  const distinct = (items) => [...new Set(items)].slice(0, 5);
  return {width, pageWidth: document.documentElement.scrollWidth, scrolling: distinct(scrolling),
          offscreen: distinct(offscreen), tables: distinct(tables), unlabelled: distinct(unlabelled)};
}"""


@dataclass
class Site:
    """The served application with what the walk needs: accounts, URL map, seeds."""

    base: str
    database: object
    accounts: dict[str, tuple[str, str]]
    rules: dict[str, str]  # endpoint -> rule, for the pages to reach
    adapter: object
    #: Every endpoint of the URL map.
    endpoints: set[str]
    #: Pages reached only through a form, per role: (endpoint, path).
    seeds: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    #: Problems found on pages that answer a form (not GET routes), by page.
    form_pages: dict[str, list[str]] = field(default_factory=dict)
    walks: dict[str, Walk] = field(default_factory=dict)


@dataclass
class Walk:
    """What one role reached: endpoint -> path, and what was wrong on the way."""

    pages: dict[str, str] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


# set-up --------------------------------------------------------------------------------------


def _accounts(served_app) -> dict[str, tuple[str, str]]:
    """User name and password of an account of every role with data to show: the tests' own
    office account, and of the demo's a province coordinator, an instructor of a course and
    the trainee with the most enrolments."""
    queries = {
        "coordinator": "SELECT username FROM user_account WHERE role = 'coordinator' "
                       "ORDER BY length(scope_code), username",
        "instructor": "SELECT u.username FROM user_account u JOIN course_instructor ci ON ci.user_id = u.id "
                      "ORDER BY u.username",
        "certifier": "SELECT username FROM user_account WHERE role = 'certifier' ORDER BY username",
        "trainee": "SELECT u.username FROM user_account u JOIN learner l ON l.user_id = u.id "
                   "JOIN enrolment e ON e.learner_id = l.id WHERE u.role = 'trainee' "
                   "GROUP BY u.username ORDER BY count(e.id) DESC, u.username",
    }
    with sqlite3.connect(served_app.database) as connection:
        accounts = {role: (connection.execute(sql).fetchone()[0], DEMO_PASSWORD) for role, sql in queries.items()}
    return {"office": served_app.office, **accounts}


def _url_map(tmp_path_factory):
    from trainhub import create_app

    app = create_app({
        "TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "url-map",
        "DATA_KEY": "dGVzdC1vbmx5LWRhdGEta2V5LWZvci10cmFpbmh1Yi0=",
        "INSTANCE_PATH": str(tmp_path_factory.mktemp("url-map")),
    })
    rules = {}
    for rule in app.url_map.iter_rules():
        if "GET" in rule.methods and rule.endpoint not in NOT_PAGES and not rule.rule.startswith(API_PREFIX):
            rules.setdefault(rule.endpoint, rule.rule)
    return rules, app.url_map.bind("localhost"), set(app.view_functions)


def _roster(path) -> None:
    """Three new learners of a new station in 水城区 (the demo's province coordinator's area)."""
    from trainhub.learners import idcard

    lines = ["姓名,身份证号码,手机号码,工作单位,所在县（区）,省份,机构类型"]
    for number, name in enumerate(["测试甲", "测试乙", "测试丙"]):
        first17 = f"520204{date(1990, 3, 7 + number):%Y%m%d}{number + 10:02d}1"
        lines.append(f"{name},{first17 + idcard.check_character(first17)},1390000{number:04d},"
                     "水城区米箩镇社会工作服务站,水城区,贵州省,社工站")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _sign_in(page, base: str, username: str, password: str) -> None:
    page.goto(base + "/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    with page.expect_navigation():  # the click's answer, not the page before it
        page.click("main form button[type=submit]")
    assert "/login" not in page.url, f"{username} could not sign in: {page.inner_text('main')[:200]}"


def _path(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _current_course(database) -> tuple[int, str]:
    """A course of the phase running today and a Saturday a week ahead inside it."""
    with sqlite3.connect(database) as connection:
        course_id, ends_on = connection.execute(
            "SELECT c.id, p.ends_on FROM course c JOIN track t ON t.id = c.track_id "
            "JOIN phase p ON p.id = t.phase_id WHERE p.starts_on <= date('now') AND p.ends_on >= date('now', '+21 day') "
            "ORDER BY c.code").fetchone()
    today = date.today()
    saturday = today + timedelta(days=7 + (5 - today.weekday()) % 7)
    assert saturday.isoformat() < ends_on
    return course_id, saturday.isoformat()


def _add_series(site: Site, page) -> None:
    """A series through the office's pages, so that the series pages have one to show; the
    preview (a POST answer) is measured on the way."""
    course_id, first = _current_course(site.database)
    page.goto(f"{site.base}/courses/{course_id}/series/new")
    page.check("#weekdays-6")
    page.fill("input[name=starts_time]", "06:00")
    page.fill("input[name=ends_time]", "06:45")
    page.fill("input[name=first_date]", first)
    page.fill("input[name=count]", "2")
    with page.expect_navigation():
        page.click("main form button[name=preview]")
    site.form_pages["series preview (schedule.new_series, POST)"] = _problems(page)
    if page.locator("input[name=override_reason]").count():
        page.fill("input[name=override_reason]", "宽度测试")
    with page.expect_navigation():
        page.click("main form button[name=confirm]")
    assert page.url.endswith(f"/courses/{course_id}/sessions"), page.inner_text("main")[:300]
    # the office's walk opens this course's timetable, whose series pages it then reaches
    site.seeds.setdefault("office", []).append(("schedule.course_sessions", _path(page.url)))


def _set_up(site: Site, browser, tmp_path_factory) -> None:
    """Through the office's pages: two uploads (one previewed, one imported), one-time
    activation links for the new learners, a recurring series, a background job. Pages
    answering a form (the activation links, an enrol page's search results, a series'
    preview) are measured on the way."""
    roster = tmp_path_factory.mktemp("roster") / "名单.csv"
    _roster(roster)
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    context.set_default_timeout(20_000)
    page = context.new_page()
    page.on("dialog", lambda dialog: dialog.accept())
    _sign_in(page, site.base, *site.accounts["office"])
    office = site.seeds.setdefault("office", [])

    for confirm in (False, True):
        page.goto(site.base + "/imports/new")
        page.set_input_files("main input[type=file]", str(roster))
        page.click("main form button[type=submit]")
        page.wait_for_url(re.compile(r"/imports/[^/]+$"))
        office.append(("imports.preview", _path(page.url)))
        if confirm:
            page.click("main form[action$='/confirm'] button[type=submit]")
            page.wait_for_url(re.compile(r"/imports/[^/]+/result$"))
            office.append(("imports.result", _path(page.url)))

    page.goto(site.base + "/learners")
    page.click("main form[onsubmit] button[type=submit]")  # links for every learner not activated
    page.wait_for_load_state()
    site.form_pages["activation links (learners.activation_links)"] = _problems(page)
    link = page.locator(".activation-url").first.inner_text().strip()
    site.seeds["anonymous"] = [("accounts.activate", _path(link))]

    page.goto(site.base + "/courses")  # the enrol page's search results (a POST answer)
    page.click("main .course-table a[href^='/courses/']")
    page.click("main a[href$='/enrol']")
    page.fill("main input[name=q]", "测试")
    with page.expect_navigation():  # the click's answer, not the page before it
        page.click("main form[role=search] button[type=submit]")
    assert page.locator("main .learner-results").count() == 1
    site.form_pages["enrol search results (courses.enrol, POST)"] = _problems(page)

    _add_series(site, page)

    page.goto(site.base + "/jobs")
    page.click("main form[action$='/jobs/demo'] button[type=submit]")
    page.wait_for_url(re.compile(r"/jobs/[^/]+$"))
    office.append(("jobs.detail", _path(page.url)))
    context.close()


@pytest.fixture(scope="session")
def site(served_app, browser, tmp_path_factory) -> Site:
    rules, adapter, endpoints = _url_map(tmp_path_factory)
    result = Site(base=served_app.base, database=served_app.database, accounts=_accounts(served_app),
                  rules=rules,
                  adapter=adapter, endpoints=endpoints)
    _set_up(result, browser, tmp_path_factory)
    return result


# walking -------------------------------------------------------------------------------------


def _endpoint(site: Site, path: str) -> str | None:
    """The GET route a same-site path leads to (None: not a route, or not a page)."""
    parts = urlsplit(path)
    try:
        endpoint, _ = site.adapter.match(parts.path, method="GET", query_args=parts.query)
    except RequestRedirect as redirect:
        return _endpoint(site, _path(redirect.new_url))
    except HTTPException:
        return None
    return endpoint


def _links(text: str) -> list[str]:
    found = []
    for raw in re.findall(r'href="([^"#]*)', text):
        href = html.unescape(raw)
        if href.startswith("/") and not href.startswith("//"):
            found.append(href)
    return found


def _problems(page) -> list[str]:
    m = page.evaluate(MEASURE)
    problems = []
    if m["pageWidth"] > m["width"]:
        problems.append(f"the page is {m['pageWidth']} px wide on a {m['width']} px screen")
    if m["scrolling"]:
        problems.append("scrolls sideways inside: " + "; ".join(m["scrolling"]))
    if m["offscreen"]:
        problems.append("off the screen: " + "; ".join(m["offscreen"]))
    if m["tables"]:
        problems.append("tables not rendered with _list.html's list_table: " + "; ".join(m["tables"]))
    if m["unlabelled"]:
        problems.append("card cells without data-label (or list-title/-actions/-check/-note): "
                        + "; ".join(m["unlabelled"]))
    return problems


def _walk(site: Site, browser, role: str) -> Walk:
    """Open every page ``role`` reaches at phone width and measure it (a page that several
    routes redirect to, and an error page, once)."""
    from playwright.sync_api import Error as BrowserError

    if role in site.walks:
        return site.walks[role]
    walk = Walk()
    measured: set[str] = set()
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    context.set_default_timeout(20_000)
    page = context.new_page()
    if role != "anonymous":
        _sign_in(page, site.base, *site.accounts[role])
    queue = [(endpoint, site.adapter.build(endpoint)) for endpoint, rule in sorted(site.rules.items())
             if "<" not in rule]
    queue += site.seeds.get(role, [])
    while queue and len(walk.pages) < MAX_PAGES_PER_ROLE:
        endpoint, path = queue.pop(0)
        if endpoint in walk.pages:
            continue
        walk.pages[endpoint] = path
        where = f"{role} {path} ({endpoint})"
        try:
            response = page.goto(site.base + path)
        except BrowserError as exc:  # a download
            walk.problems.append(f"{where}: not a page ({exc.message.splitlines()[0]}): "
                                 "add it to NOT_PAGES with the reason")
            continue
        kind = response.headers.get("content-type", "")
        if not kind.startswith("text/html"):
            walk.problems.append(f"{where}: answers {kind}, not a page: add it to NOT_PAGES with the reason")
            continue
        seen = _path(page.url) if response.status == 200 else f"status {response.status}"
        if seen != path and response.status == 200:
            where += f" → {seen}"
        if seen not in measured:
            measured.add(seen)
            walk.problems += [f"{where}: {problem}" for problem in _problems(page)]
        if response.status == 200:
            for link in _links(response.text()):
                target = _endpoint(site, link)
                if target in site.rules and target not in walk.pages:
                    queue.append((target, link))
    context.close()
    site.walks[role] = walk
    return walk


# tests ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_every_page_fits_a_phone(site, browser, role):
    walk = _walk(site, browser, role)
    assert len(walk.pages) > 1
    assert not walk.problems, f"{len(walk.problems)} problem(s) at 375 px:\n" + "\n".join(walk.problems)


def test_pages_answering_a_form_fit_a_phone(site):
    problems = [f"{page}: {problem}" for page, found in site.form_pages.items() for problem in found]
    assert not problems, "\n".join(problems)


def test_every_page_is_reached(site, browser):
    """Every GET route (but NOT_PAGES and the API) is opened by at least one role: a new page
    gets a link from another page, or a seed in :func:`_set_up`."""
    reached = set()
    for role in ROLES:
        reached |= set(_walk(site, browser, role).pages)
    assert sorted(set(site.rules) - reached) == []
    assert sorted(set(NOT_PAGES) - site.endpoints) == []  # no reason left for a route that is gone
