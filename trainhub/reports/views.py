"""Report pages: the coverage of the priority counties and its export.

The office sees the whole programme; a coordinator the priority counties of their area.
"""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_login import current_user

from trainhub.audit.operations import record_export
from trainhub.auth import roles_required
from trainhub.forms import mark_outside_area
from trainhub.geo.queries import provinces
from trainhub.ratelimits import heavy
from trainhub.reports import queries
from trainhub.reports.forms import CoverageFilterForm
from trainhub.reports.queries import COVERAGE_READERS
from trainhub.spreadsheets import dated_filename, xlsx_download

bp = Blueprint("reports", __name__)


def _coverage_report():
    form = CoverageFilterForm(formdata=request.args)
    form.set_province_choices(provinces(current_user))
    form.validate()
    mark_outside_area(form, current_user)
    return form, queries.coverage(current_user, **form.filters())


@bp.route("/coverage")
@roles_required(*COVERAGE_READERS)
def coverage():
    form, report = _coverage_report()
    return render_template("reports/coverage.html", form=form, report=report,
                           summary=queries.coverage_summary_text(report))


@bp.route("/coverage/export.xlsx")
@roles_required(*COVERAGE_READERS)
@heavy
def coverage_export():
    form, report = _coverage_report()
    record_export("coverage.export", form.filters(), len(report.counties))
    return xlsx_download(queries.coverage_frames(report), dated_filename("重点帮扶县覆盖情况"))
