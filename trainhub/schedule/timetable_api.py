"""JSON API of the caller's own timetable: ``GET /api/v1/me/sessions`` — the sessions of
:func:`trainhub.schedule.scope.own_sessions` (a trainee's courses, an instructor's teaching,
a coordinator's area, the whole programme for the office)."""

from __future__ import annotations

from dataclasses import replace

import sqlalchemy as sa
from flask_smorest import Blueprint

from trainhub.api import api_user, paginate
from trainhub.auth import signed_in
from trainhub.courses.models import TrainingSession
from trainhub.db import utcnow
from trainhub.extensions import db
from trainhub.schedule import queries
from trainhub.schedule.scope import own_sessions
from trainhub.schedule.timetable_schemas import MySessionArgs, MySessionPageSchema

blp = Blueprint(
    "timetable_api", __name__, url_prefix="/api/v1",
    description="我的课表：调用者本人的课次（学员：所报课程；讲师：所授课次；实施点联络员：负责区域的课次；"
                "项目办与认证中心：全部课次），时间为北京时间。",
)


@blp.route("/me/sessions")
@signed_in
@blp.arguments(MySessionArgs, location="query")
@blp.response(200, MySessionPageSchema)
@blp.alt_response(422, description="日期有误；errors 指出 from 或 to")
def my_sessions(args):
    """The caller's own sessions

    In time order, cancelled ones included (``status``: ``cancelled``, with the time and
    reason). ``from`` and ``to`` are local dates (Asia/Shanghai), both inclusive; left out,
    the list is open on that side. Meeting links and numbers are answered to those who
    attend or teach, not to the Certification Centre.
    """
    user = api_user()
    now = utcnow()
    stmt = queries.in_order(queries.with_details(
        sa.select(TrainingSession).where(
            own_sessions(user), queries.days_clause(args.get("date_from"), args.get("date_to")))
    ))
    page = paginate(db, stmt, args)
    items = [queries.SessionItem.of(session, now) for session in page["items"]]
    if not queries.joins_own_sessions(user):
        items = [replace(item, meeting_url=None, meeting_number=None) for item in items]
    page["items"] = items
    return page
