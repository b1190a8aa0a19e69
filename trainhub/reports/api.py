"""JSON API of the reports: the coverage of the priority counties, for the office and
coordinators (a coordinator's area only), as on the web page."""

from __future__ import annotations

from flask_smorest import Blueprint

from trainhub.api import api_user
from trainhub.auth import outside_area_problem, roles_required
from trainhub.reports import queries
from trainhub.reports.queries import COVERAGE_READERS
from trainhub.reports.schemas import CoverageArgs, CoverageSchema

blp = Blueprint(
    "reports_api", __name__, url_prefix="/api/v1",
    description="报表：重点帮扶县覆盖情况（各县的机构、进行中的结对与学员）。"
                "实施点联络员只能看到其负责区域内的重点帮扶县。",
)


@blp.route("/coverage")
@roles_required(*COVERAGE_READERS)
@blp.arguments(CoverageArgs, location="query")
@blp.response(200, CoverageSchema)
@blp.alt_response(422, description="筛选参数有误")
def coverage(args):
    """Coverage of the priority counties

    For every county flagged as a priority county in the caller's area, grouped by
    province: organisations by kind, pairings in progress (recipient in the county) and
    learners; with totals over all of them ("N of the M counties flagged as priority, 160
    expected"). ``gaps=true`` lists only the counties that still lack something; a
    province outside a coordinator's area is refused (422).
    """
    outside = outside_area_problem(api_user(), province=args.get("province"))
    if outside is not None:
        return outside
    return queries.coverage(api_user(), province_code=args.get("province"), gaps_only=args["gaps"])
