"""JSON API of calendar feeds: the caller's own feed address (``GET /api/v1/me/calendar``).

A mini-program or the CSWF website shows it to the user (or opens it in the phone's
calendar). Renewing and revoking an address is done on the "日历订阅" page.
"""

from __future__ import annotations

from flask_smorest import Blueprint

from trainhub.api import api_user, problem
from trainhub.auth import signed_in
from trainhub.links import LinksUnavailable
from trainhub.schedule import feeds
from trainhub.schedule.feed_schemas import CalendarFeedSchema

blp = Blueprint(
    "feeds_api", __name__, url_prefix="/api/v1",
    description="日历订阅：调用者本人课表的 iCalendar 订阅地址。",
)


@blp.route("/me/calendar")
@signed_in
@blp.response(200, CalendarFeedSchema)
@blp.alt_response(503, description="系统未配置对外访问地址（TRAINHUB_PUBLIC_URL），无法生成订阅地址")
def my_calendar():
    """The caller's calendar feed address

    The address of the caller's own feed, created on the first request (the same address
    is answered every time until the user renews or revokes it on the "日历订阅" page).
    The feed holds the caller's own sessions: a trainee's enrolled courses, an instructor's
    sessions, a coordinator's area, every session for the office.
    """
    user = api_user()
    feed, secret = feeds.user_feed(user=user, actor=user)
    try:
        url = feeds.feed_url(secret)
    except LinksUnavailable as error:
        return problem(503, error.message)
    return {"url": url, "webcal_url": feeds.webcal_url(url), "created_at": feed.created_at}
