"""County pages: the list with priority coverage, one county, flagging (office)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from trainhub.auth import Role, in_area, roles_required
from trainhub.extensions import db
from trainhub.figures import collect
from trainhub.forms import mark_outside_area
from trainhub.geo import queries
from trainhub.geo.files import CountyError
from trainhub.geo.forms import CountyFilterForm, PriorityFlagForm
from trainhub.geo.operations import EXPECTED_PRIORITY_COUNT, set_priority
from trainhub.geo.signals import county_figures

bp = Blueprint("geo", __name__)

PER_PAGE = 50


@bp.route("/counties")
@roles_required(Role.OFFICE, Role.COORDINATOR)
def counties():
    form = CountyFilterForm(formdata=request.args)
    form.set_province_choices(queries.provinces(current_user))
    form.validate()
    mark_outside_area(form, current_user, names=("province",))
    # a refused filter is ignored (its message shows); the others still apply
    province_code = None if form.province.errors else (form.province.data or None)
    priority = None if form.priority.errors else {"1": True, "0": False}.get(form.priority.data)
    q = None if form.q.errors else form.q.data
    stmt = queries.county_list_stmt(
        user=current_user, province_code=province_code, priority=priority, q=q
    )
    pagination = db.paginate(
        stmt, page=request.args.get("page", 1, type=int), per_page=PER_PAGE, error_out=False
    )
    return render_template(
        "geo/counties.html",
        form=form,
        pagination=pagination,
        priority_total=queries.priority_count(),
        expected=EXPECTED_PRIORITY_COUNT,
        coverage=queries.priority_coverage(current_user),
    )


def _county_or_404(code: str):
    county = queries.get_county(code)
    if county is None or not in_area(current_user, county.code):
        abort(404)
    return county


def _render_county(county, form: PriorityFlagForm | None, status: int = 200):
    return render_template(
        "geo/county.html",
        county=county,
        form=form,
        figures=collect(county_figures, [county.code]),
        history=queries.flag_history(county.code),
        priority_total=queries.priority_count(),
        expected=EXPECTED_PRIORITY_COUNT,
    ), status


def _flag_form(county) -> PriorityFlagForm:
    form = PriorityFlagForm()
    form.action.data = "unflag" if county.is_priority else "flag"
    return form


@bp.route("/counties/<code>")
@roles_required(Role.OFFICE, Role.COORDINATOR)
def county(code: str):
    county = _county_or_404(code)
    form = _flag_form(county) if current_user.role == Role.OFFICE else None
    return _render_county(county, form)


@bp.route("/counties/<code>/priority", methods=["POST"])
@roles_required(Role.OFFICE)
def set_county_priority(code: str):
    county = _county_or_404(code)
    form = PriorityFlagForm()
    if form.validate_on_submit():
        flag = form.action.data == "flag"
        try:
            result = set_priority([county.code], priority=flag, source=form.source.data)
        except CountyError as exc:
            target = form.source if exc.field == "source" else form.action
            target.errors = [*target.errors, exc.message]
        else:
            if not result.changed:
                flash(f"{county.name}{'已是' if flag else '本就不是'}重点帮扶县，未作更改。", "info")
            elif flag:
                flash(f"已将 {county.name}（{county.code}）标记为国家乡村振兴重点帮扶县。", "success")
            else:
                flash(f"已取消 {county.name}（{county.code}）的重点帮扶县标记。", "success")
            return redirect(url_for("geo.county", code=county.code))
    county = _county_or_404(code)
    if form.action.errors:
        # a tampered or outdated action: offer the form that fits the county's state
        form.action.data = "unflag" if county.is_priority else "flag"
    return _render_county(county, form, 400)
