"""Web pages of organisations and pairings (牵手结对).

The office sees and manages everything; a coordinator sees the organisations of their area
(and registers or edits them there) and the pairings whose recipient lies in their area;
the Certification Centre reads the organisations. Anything outside a coordinator's area
answers 404. The API grants the same roles.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from trainhub.audit.operations import record_export
from trainhub.auth import Role, in_area, roles_required
from trainhub.extensions import db
from trainhub.figures import collect
from trainhub.forms import mark_outside_area
from trainhub.geo.queries import provinces
from trainhub.localtime import local_today
from trainhub.orgs import operations, queries
from trainhub.orgs import pairings as pairing_operations
from trainhub.orgs.forms import (
    OrganisationFilterForm,
    OrganisationForm,
    PairingEndForm,
    PairingFilterForm,
    PairingForm,
)
from trainhub.orgs.models import PairingStatus
from trainhub.orgs.operations import OrgError
from trainhub.orgs.signals import organisation_figures
from trainhub.pii import mask_phone
from trainhub.ratelimits import heavy
from trainhub.spreadsheets import dated_filename, xlsx_download

bp = Blueprint("orgs", __name__)

PER_PAGE = 50
STAFF = (Role.OFFICE, Role.COORDINATOR)
#: Roles that read organisations (the same as the API's).
ORG_READERS = (*STAFF, Role.CERTIFIER)


def _page() -> int:
    return max(request.args.get("page", 1, type=int) or 1, 1)


def _visible(org) -> bool:
    """Whether the current user may open ``org``'s page (templates link only to those)."""
    return in_area(current_user, org.county_code)


# organisations -------------------------------------------------------------------------------


def _organisation_filters() -> tuple[OrganisationFilterForm, dict]:
    form = OrganisationFilterForm(formdata=request.args)
    form.set_province_choices(provinces(current_user))
    form.validate()
    mark_outside_area(form, current_user)
    return form, form.filters()


@bp.route("/organisations", endpoint="list")
@roles_required(*ORG_READERS)
def organisation_list():
    form, filters = _organisation_filters()
    stmt = queries.organisation_list_stmt(current_user, **filters)
    pagination = db.paginate(stmt, page=_page(), per_page=PER_PAGE, error_out=False)
    figures = collect(organisation_figures, [org.id for org in pagination.items])
    return render_template("orgs/list.html", form=form, pagination=pagination, figures=figures,
                           mask_phone=mask_phone)


@bp.route("/organisations/export.xlsx")
@roles_required(*ORG_READERS)
@heavy
def export():
    _, filters = _organisation_filters()
    frame = queries.organisation_table(current_user, **filters)
    record_export("organisation.export", filters, len(frame))
    return xlsx_download({"机构": frame}, dated_filename("机构名册"))


def _organisation_or_404(org_id: int):
    org = queries.get_organisation(current_user, org_id)
    if org is None:
        abort(404)
    return org


@bp.route("/organisations/<int:org_id>")
@roles_required(*ORG_READERS)
def detail(org_id: int):
    org = _organisation_or_404(org_id)
    return render_template(
        "orgs/detail.html",
        org=org,
        contact_phone=queries.shown_contact_phone(org, current_user),
        figures=collect(organisation_figures, [org.id]),
        pairings=queries.organisation_pairings(current_user, org),
        today=local_today(),
        visible=_visible,
    )


def _render_form(form: OrganisationForm, org=None, status: int = 200):
    return render_template(
        "orgs/form.html", form=form, org=org, county_options=queries.county_options(current_user)
    ), status


def _submitted(form: OrganisationForm, org=None) -> dict | None:
    """The organisation's values when the submitted form is right in every respect, else
    None with every mistake shown at once: the form's own (shape), the typed county, and
    the operation's (meaning, area, uniqueness) for the fields the form let through."""
    valid = form.validate_on_submit()
    values = form.values()
    if form.county.data and not form.county.errors:
        try:
            values["county_code"] = operations.county_code_from_input(form.county.data, current_user)
        except OrgError as exc:
            form.add_error(exc.field, exc.message)
    try:
        values = operations.check_organisation(values, actor=current_user, org=org)
    except OrgError as exc:
        form.add_errors({field: message for field, message in exc.errors.items()
                         if not form.has_error(field)})
        return None
    return values if valid and not form.errors else None


@bp.route("/organisations/new", methods=["GET", "POST"])
@roles_required(*STAFF)
def create():
    form = OrganisationForm()
    if request.method == "GET":
        if request.args.get("kind") in {"agency", "station", "supporter"}:
            form.kind.data = request.args["kind"]
        return _render_form(form)
    values = _submitted(form)
    if values is not None:
        org = operations.create_organisation(**values, actor=current_user)
        flash(f"已登记机构“{org.name}”。", "success")
        return redirect(url_for("orgs.detail", org_id=org.id))
    return _render_form(form, status=400)


@bp.route("/organisations/<int:org_id>/edit", methods=["GET", "POST"])
@roles_required(*STAFF)
def edit(org_id: int):
    org = _organisation_or_404(org_id)
    shown = queries.shown_contact_phone(org, current_user)
    hidden = shown != org.contact_phone  # masked: the box starts empty
    if request.method == "GET":
        form = OrganisationForm(data={
            "name": org.name, "kind": org.kind.value, "county": org.county_code,
            "credit_code": org.credit_code, "address": org.address,
            "contact_name": org.contact_name, "contact_phone": "" if hidden else org.contact_phone,
        })
        if hidden:
            form.describe_hidden_phone(shown)
        return _render_form(form, org)
    form = OrganisationForm()
    if hidden:
        form.describe_hidden_phone(shown)
    values = _submitted(form, org)
    if values is not None:
        changed = operations.update_organisation(org, values, actor=current_user)
        flash(f"已保存机构“{org.name}”的修改。" if changed else "没有需要保存的修改。",
              "success" if changed else "info")
        return redirect(url_for("orgs.detail", org_id=org_id))
    return _render_form(form, org, status=400)


# pairings ------------------------------------------------------------------------------------


def _pairing_filters() -> tuple[PairingFilterForm, dict]:
    form = PairingFilterForm(formdata=request.args)
    form.set_province_choices(provinces(current_user))
    form.validate()
    mark_outside_area(form, current_user)
    return form, form.filters()


@bp.route("/pairings")
@roles_required(*STAFF)
def pairings():
    form, filters = _pairing_filters()
    today = local_today()
    stmt = queries.pairing_list_stmt(current_user, today=today, **filters)
    pagination = db.paginate(stmt, page=_page(), per_page=PER_PAGE, error_out=False)
    return render_template("orgs/pairings.html", form=form, pagination=pagination, today=today,
                           visible=_visible)


@bp.route("/pairings/export.xlsx")
@roles_required(*STAFF)
@heavy
def pairings_export():
    _, filters = _pairing_filters()
    frame = queries.pairing_table(current_user, **filters)
    record_export("pairing.export", filters, len(frame))
    return xlsx_download({"牵手结对": frame}, dated_filename("牵手结对"))


def _render_pairing_form(form: PairingForm, status: int = 200):
    form.set_choices(queries.supporter_options(), queries.recipient_options())
    return render_template("orgs/pairing_form.html", form=form), status


@bp.route("/pairings/new", methods=["GET", "POST"])
@roles_required(Role.OFFICE)
def create_pairing():
    form = PairingForm()
    if request.method == "GET":
        form.supporter_id.data = request.args.get("supporter", "")
        form.recipient_id.data = request.args.get("recipient", "")
        form.started_on.data = local_today()
        return _render_pairing_form(form)
    valid = form.validate_on_submit()
    try:  # the operation's checks too, so that every mistake is shown at once
        pairing_operations.check_pairing(**form.values())
    except OrgError as exc:
        form.add_errors({field: message for field, message in exc.errors.items()
                         if not form.has_error(field)})
    if valid and not form.errors:
        pairing = pairing_operations.create_pairing(**form.values())
        flash("已登记牵手结对。", "success")
        return redirect(url_for("orgs.pairing", pairing_id=pairing.id))
    return _render_pairing_form(form, 400)


def _pairing_or_404(pairing_id: int):
    pairing = queries.get_pairing(current_user, pairing_id)
    if pairing is None:
        abort(404)
    return pairing


def _render_pairing(pairing, form: PairingEndForm | None, status: int = 200):
    today = local_today()
    if form is None and current_user.role == Role.OFFICE and pairing.status(today) != PairingStatus.ENDED:
        form = PairingEndForm(data={"ended_on": today})
    return render_template("orgs/pairing.html", pairing=pairing, form=form, today=today,
                           visible=_visible), status


@bp.route("/pairings/<int:pairing_id>")
@roles_required(*STAFF)
def pairing(pairing_id: int):
    return _render_pairing(_pairing_or_404(pairing_id), None)


@bp.route("/pairings/<int:pairing_id>/end", methods=["POST"])
@roles_required(Role.OFFICE)
def end_pairing(pairing_id: int):
    pairing = _pairing_or_404(pairing_id)
    form = PairingEndForm()
    if form.validate_on_submit():
        try:
            pairing_operations.end_pairing(pairing, form.ended_on.data, note=form.note.data)
        except OrgError as exc:
            form.add_errors(exc.errors)
        else:
            flash("已结束该牵手结对。", "success")
            return redirect(url_for("orgs.pairing", pairing_id=pairing_id))
    return _render_pairing(_pairing_or_404(pairing_id), form, 400)
