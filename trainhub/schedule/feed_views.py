"""Calendar subscription pages: "日历订阅" (``/calendar``, every signed-in user: their own
feed's address, QR codes, renewing and revoking it), a course's shared feed (the office),
and the feed itself (``/calendar/<secret>.ics``, public: the secret is the permission).

How feeds work is :mod:`trainhub.schedule.feeds`; what they hold,
:mod:`trainhub.schedule.feed_calendar`.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_limiter.util import get_remote_address
from flask_login import current_user

from trainhub.accounts.forms import ConfirmForm
from trainhub.auth import Role, public, roles_required, signed_in
from trainhub.courses.models import CalendarFeed, Course
from trainhub.courses.queries import get_course
from trainhub.extensions import limiter
from trainhub.links import LinksUnavailable, ensure_available, external_url, fallback_warning
from trainhub.localtime import local_zone
from trainhub.qr import qr_svg
from trainhub.schedule import feeds
from trainhub.schedule.feed_calendar import (
    calendar_name,
    feed_sessions,
    feed_version,
    render_calendar,
    session_event,
)

bp = Blueprint("feeds", __name__)

#: The page of one session, linked from events without a meeting link.
SESSION_PAGE = "timetable.session"
#: The answer to every address that holds no feed — wrong, malformed, revoked, replaced,
#: of a disabled account — word for word the same, so that it reveals nothing.
NOT_FOUND = "未找到该日历订阅。订阅地址有误，或已被撤销、重新生成。\n"
#: What each role's own feed holds (:func:`trainhub.schedule.scope.own_sessions`).
HOLDS = {
    Role.TRAINEE: "您已报名（不含候补、已退课）课程的全部课次。",
    Role.INSTRUCTOR: "安排给您的课次，以及您任教课程中尚未指定讲师的课次。",
    Role.COORDINATOR: "您负责区域内实施点的线下课次，以及区域内学员报名课程的全部课次。",
    Role.OFFICE: "全部课程的全部课次。",
    Role.CERTIFIER: "全部课程的全部课次。",
}


# the feed -------------------------------------------------------------------------------------


def _feed_missing():
    response = make_response(NOT_FOUND, 404)
    response.mimetype = "text/plain"
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


#: Only requests for feeds that do not exist count (FEED_MISS_LIMIT per client address).
_count_misses = limiter.limit(
    lambda: current_app.config["FEED_MISS_LIMIT"], key_func=get_remote_address,
    deduct_when=lambda response: response.status_code == 404, scope="calendar-feed-miss",
    error_message="请求的日历订阅地址无效次数过多，请稍后再试。",
)


def _no_page(session) -> None:
    return None


def _event_links():
    """The host of event UIDs, and the address of a session's page (a function; it answers
    None without such pages): both on ``PUBLIC_URL``, or without one (development) on the
    request's address."""
    try:
        base = ensure_available()
    except LinksUnavailable:
        return request.host.split(":")[0], _no_page
    host = urlsplit(base).hostname if base else request.host.split(":")[0]
    return host, lambda session: external_url(SESSION_PAGE, session_id=session.id)


@bp.route("/calendar/<token>.ics")
@_count_misses
@public
def ics(token: str):
    """The iCalendar feed at a secret address: ETag and 304 when nothing changed."""
    feed = feeds.feed_for_secret(token)
    if feed is None:
        return _feed_missing()
    host, page_url = _event_links()
    zone = local_zone()
    version = feed_version(feed, render_key=f"{host}|{zone.key}|{page_url is not _no_page}")
    feeds.record_fetch(feed)
    if request.if_none_match.contains_weak(version):
        response = make_response("", 304)
    else:
        events = [session_event(session, host=host, page_url=page_url)
                  for session in feed_sessions(feed)]
        response = make_response(render_calendar(name=calendar_name(feed), zone=zone, events=events))
        response.mimetype = "text/calendar"
    response.set_etag(version, weak=True)
    response.headers["Cache-Control"] = "private"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


# pages ----------------------------------------------------------------------------------------


def _shown(feed: CalendarFeed | None) -> dict | None:
    """What a page shows of ``feed``: its addresses and QR codes; or why they cannot be shown
    (``lost``: the key changed; ``error``: no public address configured)."""
    if feed is None:
        return None
    secret = feeds.feed_secret(feed)
    if secret is None:
        return {"feed": feed, "lost": True}
    try:
        url = feeds.feed_url(secret)
    except LinksUnavailable as error:
        return {"feed": feed, "error": error.message}
    webcal = feeds.webcal_url(url)
    return {
        "feed": feed, "url": url, "webcal": webcal,
        "qr_webcal": qr_svg(webcal, label="用 iPhone 相机扫描即可订阅的二维码"),
        "qr_https": qr_svg(url, label="订阅地址（https）的二维码"),
    }


def _private_page(template: str, **context):
    """A page showing a secret address: never cached, never passed on as a referrer."""
    if context.get("shown") and context["shown"].get("url") and (warning := fallback_warning()):
        flash(warning, "warning")
    response = make_response(render_template(template, **context))
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def _confirm_or_400() -> None:
    if not ConfirmForm().validate_on_submit():
        abort(400)


@bp.route("/calendar")
@signed_in
def subscription():
    user = current_user._get_current_object()
    return _private_page("schedule/calendar.html", shown=_shown(feeds.active_user_feed(user.id)),
                         holds=HOLDS[user.role])


@bp.route("/calendar/renew", methods=["POST"])
@signed_in
def renew():
    """A new address for the caller's feed (also the first one); the old one stops working."""
    _confirm_or_400()
    user = current_user._get_current_object()
    replaced = feeds.active_user_feed(user.id) is not None
    feeds.issue_user_feed(user=user, actor=user)
    flash("已生成新的订阅地址，原地址已失效：请在已订阅的日历中删除旧的订阅，再用新地址订阅。"
          if replaced else "已生成您的订阅地址，请按下方说明添加到手机或电脑的日历。", "success")
    return redirect(url_for("feeds.subscription"))


@bp.route("/calendar/revoke", methods=["POST"])
@signed_in
def revoke():
    _confirm_or_400()
    user = current_user._get_current_object()
    if feeds.revoke_user_feed(user=user, actor=user):
        flash("订阅已停止：原订阅地址已失效，已订阅的日历将不再更新。", "success")
    else:
        flash("您当前没有有效的订阅地址。", "info")
    return redirect(url_for("feeds.subscription"))


# a course's shared feed (the office) ------------------------------------------------------------


def _course_or_404(course_id: int) -> Course:
    course = get_course(current_user, course_id)
    if course is None:
        abort(404)
    return course


@bp.route("/courses/<int:course_id>/calendar")
@roles_required(Role.OFFICE)
def course(course_id: int):
    course = _course_or_404(course_id)
    return _private_page("schedule/course_calendar.html", course=course,
                         shown=_shown(feeds.active_course_feed(course.id)))


@bp.route("/courses/<int:course_id>/calendar/share", methods=["POST"])
@roles_required(Role.OFFICE)
def share_course(course_id: int):
    """Share the course's feed at a new address (replacing the previous one)."""
    course = _course_or_404(course_id)
    _confirm_or_400()
    replaced = feeds.active_course_feed(course.id) is not None
    feeds.share_course_feed(course=course, actor=current_user._get_current_object())
    flash("已生成新的课程日历地址，原地址已失效。" if replaced
          else "课程日历已共享：把下方地址或二维码发给需要的人即可订阅。", "success")
    return redirect(url_for("feeds.course", course_id=course.id))


@bp.route("/courses/<int:course_id>/calendar/revoke", methods=["POST"])
@roles_required(Role.OFFICE)
def revoke_course(course_id: int):
    course = _course_or_404(course_id)
    _confirm_or_400()
    if feeds.revoke_course_feed(course=course, actor=current_user._get_current_object()):
        flash("已停止共享课程日历，原地址已失效。", "success")
    else:
        flash("该课程日历当前没有共享。", "info")
    return redirect(url_for("feeds.course", course_id=course.id))
