"""Venue pages (场地 / 实施点): the list and a venue's page (the office: every venue; a
coordinator: those of their area, anything else is not found), and the office's forms to
register, edit, archive and restore them."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from trainhub.auth import Role, roles_required
from trainhub.courses import catalogue_queries as queries
from trainhub.courses import venues
from trainhub.courses.catalogue import CatalogueError
from trainhub.courses.catalogue_forms import VenueFilterForm, VenueForm
from trainhub.courses.catalogue_queries import VENUE_READERS
from trainhub.courses.catalogue_views import render_catalogue_form, switch_archived
from trainhub.courses.models import Venue
from trainhub.extensions import db
from trainhub.orgs.operations import OrgError, county_code_from_input
from trainhub.orgs.queries import county_options

bp = Blueprint("venues", __name__)

PER_PAGE = 50


@bp.route("/venues", endpoint="list")
@roles_required(*VENUE_READERS)
def venue_list():
    form = VenueFilterForm(formdata=request.args)
    form.validate()
    archived = current_user.role == Role.OFFICE and bool(form.archived.data)
    q = form.q.data if not form.q.errors else None
    stmt = queries.venue_list_stmt(current_user, q=q, include_archived=archived)
    pagination = db.paginate(stmt, page=max(request.args.get("page", 1, type=int) or 1, 1),
                             per_page=PER_PAGE, error_out=False)
    return render_template("courses/venues.html", form=form, pagination=pagination, archived=archived,
                           filtered=bool(q or archived))


def _venue_or_404(venue_id: int) -> Venue:
    venue = queries.get_venue(current_user, venue_id)
    if venue is None:
        abort(404)
    return venue


@bp.route("/venues/<int:venue_id>")
@roles_required(*VENUE_READERS)
def detail(venue_id: int):
    venue = _venue_or_404(venue_id)
    return render_template("courses/venue.html", venue=venue, sessions=queries.venue_sessions(venue.id))


def _values(form: VenueForm) -> dict:
    """The venue's values from the form: the county typed as a code or a name, the host
    organisation by its name within that county. Their refusals go under their fields."""
    values = form.values()
    values["county_code"] = None
    values["organisation_id"] = None
    if form.county.data:
        try:
            values["county_code"] = county_code_from_input(form.county.data)
        except OrgError as exc:
            form.add_error("county", exc.message)
            values["county_code"] = form.county.data
    if form.organisation.data and not form.county.errors and values["county_code"]:
        organisation = queries.organisation_in_county(values["county_code"], form.organisation.data)
        if organisation is None:
            form.add_error("organisation", f"县级代码 {values['county_code']} 下没有名为"
                                           f"“{form.organisation.data}”的机构，请核对机构名称或所在县。")
        else:
            values["organisation_id"] = organisation.id
    return values


def _submitted(form: VenueForm, write):
    """``write(values)`` when the form and the operation take it; else None and the status."""
    valid = form.validate_on_submit()
    values = _values(form)
    if not valid or form.errors:
        return None, 422
    try:
        return write(values), 200
    except CatalogueError as exc:
        form.add_errors({field: message for field, message in exc.errors.items() if not form.has_error(field)})
        return None, exc.status


def _render_venue_form(form: VenueForm, venue: Venue | None, status: int = 200):
    back = url_for("venues.detail", venue_id=venue.id) if venue else url_for("venues.list")
    crumbs = [("场地", url_for("venues.list"))] + ([(venue.name, back)] if venue else [])
    datalists = {
        "county-options": [(c.code, f"{c.province} {c.name}") for c in county_options(current_user)],
        "organisation-options": [(o.name, f"{o.county.province} {o.county.name}（{o.county_code}）")
                                 for o in queries.host_options()],
    }
    return render_catalogue_form(form, title=f"编辑场地：{venue.name}" if venue else "登记场地", crumbs=crumbs,
                        submit="保存" if venue else "登记", cancel_url=back, status=status,
                        datalists=datalists,
                        note="场地用于线下课次；所在县决定哪些实施点联络员能看到它及其课次。")


@bp.route("/venues/new", methods=["GET", "POST"])
@roles_required(Role.OFFICE)
def create():
    form = VenueForm()
    if request.method == "GET":
        return _render_venue_form(form, None)
    venue, status = _submitted(form, lambda values: venues.create_venue(actor=current_user, **values))
    if venue is not None:
        flash(f"已登记场地“{venue.name}”。", "success")
        return redirect(url_for("venues.detail", venue_id=venue.id))
    return _render_venue_form(form, None, status)


@bp.route("/venues/<int:venue_id>/edit", methods=["GET", "POST"])
@roles_required(Role.OFFICE)
def edit(venue_id: int):
    venue = _venue_or_404(venue_id)
    if request.method == "GET":
        form = VenueForm(formdata=None, data={
            "name": venue.name, "county": venue.county_code,
            "organisation": venue.organisation.name if venue.organisation else "",
            "address": venue.address or "", "capacity": "" if venue.capacity is None else str(venue.capacity),
        })
        return _render_venue_form(form, venue)
    form = VenueForm()
    changed, status = _submitted(form, lambda values: venues.update_venue(venue, values, actor=current_user))
    if status == 200:
        flash("已保存场地的修改。" if changed else "没有需要保存的修改。", "success" if changed else "info")
        return redirect(url_for("venues.detail", venue_id=venue.id))
    return _render_venue_form(form, venue, status)


@bp.route("/venues/<int:venue_id>/archive", methods=["POST"])
@roles_required(Role.OFFICE)
def archive(venue_id: int):
    venue = _venue_or_404(venue_id)
    return switch_archived(venue, venues.archive_venue, back=url_for("venues.detail", venue_id=venue.id),
                   what=f"归档场地“{venue.name}”", done=f"已归档场地“{venue.name}”。", unchanged="该场地已归档。")


@bp.route("/venues/<int:venue_id>/restore", methods=["POST"])
@roles_required(Role.OFFICE)
def restore(venue_id: int):
    venue = _venue_or_404(venue_id)
    return switch_archived(venue, venues.restore_venue, back=url_for("venues.detail", venue_id=venue.id),
                   what=f"恢复场地“{venue.name}”", done=f"已恢复场地“{venue.name}”。", unchanged="该场地未归档。")
