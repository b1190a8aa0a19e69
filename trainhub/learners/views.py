"""Learner pages: the register (office; coordinators for their area), a learner's page,
registering and editing, trainee accounts (temporary passwords, one-time activation links)
and the trainee's own page ``/me``.

ID and phone numbers are shown masked everywhere except on the trainee's own page and
when the office asks for the full values (a POST, recorded in the audit log). A search by
a full ID or phone number is sent by POST and answered without a redirect, so that the
number never appears in a URL; one that arrives in an address anyway (a typed or old
bookmarked URL) is not searched: the page redirects to the list without it.

Rules (area, roles, edit semantics, limits, audit) live in the operations; the views parse
the forms, call one operation and render.
"""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user

from trainhub.accounts.forms import ConfirmForm
from trainhub.accounts.operations import ACTIVATION_LINK_DAYS
from trainhub.auth import Role, roles_required
from trainhub.db import utcnow
from trainhub.extensions import db
from trainhub.figures import collect_sections
from trainhub.forms import mark_outside_area
from trainhub.geo import queries as geo_queries
from trainhub.learners import operations, queries, trainee_accounts
from trainhub.learners.forms import (
    IdNumberForm,
    LearnerEditForm,
    LearnerFilterForm,
    LearnerForm,
    parse_ids,
)
from trainhub.learners.models import Learner
from trainhub.learners.operations import (
    FIELD_LABELS,
    LEARNER_MANAGERS,
    LearnerError,
)
from trainhub.learners.signals import learner_page_sections
from trainhub.learners.trainee_accounts import MAX_LINKS_PER_BATCH
from trainhub.links import LinksUnavailable, external_url, fallback_warning
from trainhub.orgs import queries as org_queries
from trainhub.pii import looks_personal
from trainhub.ratelimits import heavy
from trainhub.spreadsheets import dated_filename, xlsx_download

bp = Blueprint("learners", __name__)

PER_PAGE = 50
#: Above this many organisations in the area, the organisation filter waits for a
#: province or county to be chosen first (the list would be too long to pick from).
ORGANISATION_FILTER_LIMIT = 300
#: Said when a personal number arrives in an address: it was not searched.
NUMBER_IN_ADDRESS = "为保护个人信息，网址中的身份证号码或手机号码不会被用于查找。请在上方的搜索框中输入号码后点击“筛选”。"


def _no_store(response):
    response.headers["Cache-Control"] = "no-store"
    return response


def _learner_or_404(learner_id: int) -> Learner:
    learner = queries.get_learner(current_user, learner_id)
    if learner is None:
        abort(404)
    return learner


def _confirm_or_400() -> None:
    if not ConfirmForm().validate_on_submit():
        abort(400)


# the register ----------------------------------------------------------------------------------


def _filter_form() -> LearnerFilterForm:
    """The filter form, read from the query string (GET) or the body (POST), with the
    choices of the reader's area."""
    form = LearnerFilterForm(formdata=request.form if request.method == "POST" else request.args)
    user = current_user
    provinces = geo_queries.provinces(user)
    province = form.province.data if form.province.data in {code for code, _ in provinces} else None
    counties = org_queries.counties_with_organisations(user, province)
    county = form.county.data if form.county.data in {c.code for c in counties} else None
    hint = None
    if county or province or org_queries.count_organisations_in_area(user) <= ORGANISATION_FILTER_LIMIT:
        organisations = org_queries.organisations_in_area(user, county_code=county,
                                                          province_code=province)
    else:
        organisations = []
        hint = "机构较多：请先选择省份或县区，再选择机构。"
    chosen = (form.organisation.data or "").strip()
    if chosen.isdigit() and all(org.id != int(chosen) for org in organisations):
        selected = org_queries.get_organisation(user, int(chosen))
        if selected is not None:
            organisations = [selected, *organisations]
    form.set_choices(provinces, counties, organisations, organisations_hint=hint)
    return form


@bp.route("/learners", methods=["GET", "POST"], endpoint="list")
@roles_required(*LEARNER_MANAGERS)
def list_learners():
    form = _filter_form()
    filters = form.to_filters()
    mark_outside_area(form, current_user)
    personal = looks_personal(filters.q)
    if request.method == "GET" and personal:
        return _without_number(form)
    if request.method == "POST" and not personal:
        # ordinary filters belong in the address (bookmarks, page links)
        return redirect(url_for("learners.list", **form.args()))
    page = 1 if request.method == "POST" else max(request.args.get("page", 1, type=int), 1)
    return _render_list(form, filters, page=page)


def _without_number(form: LearnerFilterForm):
    """A personal number arrived in the address: not searched; the list without it."""
    flash(NUMBER_IN_ADDRESS, "warning")
    return redirect(url_for("learners.list", **form.args(include_q=False)), 303)


def _render_list(form: LearnerFilterForm, filters: queries.LearnerFilters, *, page: int = 1,
                 status: int = 200):
    personal = looks_personal(filters.q)
    pagination = db.paginate(
        queries.learner_list_stmt(current_user, filters), page=page, per_page=PER_PAGE,
        error_out=False,
    )
    response = make_response(render_template(
        "learners/list.html",
        form=form,
        pagination=pagination,
        personal_search=personal,
        carried=form.args(),
        page_args=form.args(include_q=not personal),
        statuses={learner.id: queries.account_status(learner) for learner in pagination.items},
        max_links=MAX_LINKS_PER_BATCH,
    ), status)
    return _no_store(response) if personal else response


@bp.route("/learners/export", methods=["GET", "POST"])
@roles_required(*LEARNER_MANAGERS)
@heavy
def export():
    """The filtered register as a workbook (masked ID and phone numbers)."""
    form = _filter_form()
    filters = form.to_filters()
    mark_outside_area(form, current_user)
    if request.method == "GET" and looks_personal(filters.q):
        return _without_number(form)
    frame = operations.export_register(current_user, filters, via="web")
    return xlsx_download({"学员": frame}, dated_filename("学员名单"))


# a learner's page ------------------------------------------------------------------------------


def _render_detail(learner: Learner, *, full: operations.PersonalData | None = None,
                   status: int = 200):
    response = make_response(render_template(
        "learners/detail.html",
        learner=learner,
        full=full,
        status=queries.account_status(learner),
        is_office=current_user.role == Role.OFFICE,
        link_days=ACTIVATION_LINK_DAYS,
        sections=collect_sections(learner_page_sections, learner=learner),
    ), status)
    return _no_store(response) if full is not None else response


@bp.route("/learners/<int:learner_id>")
@roles_required(*LEARNER_MANAGERS)
def detail(learner_id: int):
    return _render_detail(_learner_or_404(learner_id))


@bp.route("/learners/<int:learner_id>/personal-data", methods=["POST"])
@roles_required(Role.OFFICE)
def personal_data(learner_id: int):
    """The learner's page with the full ID and phone numbers (office; audited)."""
    learner = _learner_or_404(learner_id)
    _confirm_or_400()
    full = operations.reveal_personal_data(learner, actor=current_user, via="web")
    return _render_detail(learner, full=full)


# registering and editing -----------------------------------------------------------------------


@bp.route("/learners/new", methods=["GET", "POST"])
@roles_required(*LEARNER_MANAGERS)
def create():
    form = LearnerForm()
    form.set_organisations(org_queries.organisations_in_area(current_user))
    if request.method == "GET" and request.args.get("organisation", "").isdigit():
        form.organisation_id.data = request.args["organisation"]
    if form.validate_on_submit():
        try:
            learner = operations.register_learner(
                actor=current_user, organisation_id=form.selected_organisation_id(), **form.raw()
            )
        except LearnerError as error:
            form.add_errors(error.errors)
        else:
            flash(f"学员 {learner.name} 已登记，学员账号为 {learner.user.username}（尚未激活）。",
                  "success")
            return redirect(url_for("learners.detail", learner_id=learner.id))
    status = 400 if request.method == "POST" else 200
    return render_template("learners/form.html", form=form, learner=None), status


@bp.route("/learners/<int:learner_id>/edit", methods=["GET", "POST"])
@roles_required(*LEARNER_MANAGERS)
def edit(learner_id: int):
    learner = _learner_or_404(learner_id)
    if request.method == "GET":
        form = LearnerEditForm(data={
            "name": learner.name,
            "organisation_id": str(learner.organisation_id),
            "position": learner.position or "",
            "qualification": learner.qualification.value,
            "joined_on": learner.joined_on.isoformat() if learner.joined_on else "",
        })
    else:
        form = LearnerEditForm()
    form.set_organisations(org_queries.organisations_in_area(current_user))
    form.describe_phone(learner.phone_masked)
    if form.validate_on_submit():
        try:
            changes = operations.update_learner(
                learner, actor=current_user, organisation_id=form.selected_organisation_id(),
                **form.raw(),
            )
        except LearnerError as error:
            form.add_errors(error.errors)
        else:
            if changes:
                flash("已保存修改：" + "、".join(FIELD_LABELS[c] for c in changes) + "。", "success")
            else:
                flash("没有需要保存的修改。", "info")
            return redirect(url_for("learners.detail", learner_id=learner.id))
    status = 400 if request.method == "POST" else 200
    return render_template("learners/form.html", form=form, learner=learner), status


@bp.route("/learners/<int:learner_id>/id-number", methods=["GET", "POST"])
@roles_required(Role.OFFICE)
def correct_id_number(learner_id: int):
    """Correct a mistyped ID number (office); gender and birth date follow the number."""
    learner = _learner_or_404(learner_id)
    form = IdNumberForm()
    if form.validate_on_submit():
        try:
            operations.correct_id_number(learner, form.id_number.data, actor=current_user)
        except LearnerError as error:
            form.id_number.errors = [*form.id_number.errors, *error.errors.values()]
        else:
            flash("身份证号码已更正，性别和出生日期已随之更新。", "success")
            return redirect(url_for("learners.detail", learner_id=learner_id))
    status = 400 if request.method == "POST" else 200
    return render_template("learners/id_number.html", form=form, learner=learner), status


# trainee accounts ------------------------------------------------------------------------------


@bp.route("/learners/<int:learner_id>/temporary-password", methods=["POST"])
@roles_required(*LEARNER_MANAGERS)
def temporary_password(learner_id: int):
    learner = _learner_or_404(learner_id)
    _confirm_or_400()
    try:
        password = trainee_accounts.give_temporary_password(
            learner, actor=current_user._get_current_object()
        )
    except LearnerError as error:
        flash(error.message, "danger")
        return _render_detail(learner, status=409)
    return _no_store(make_response(render_template(
        "learners/temporary_password.html", learner=learner, password=password,
    )))


def _links_page(issued, skipped: int):
    """The printable list; without an address to build links on, a 503 (which also undoes
    the links just issued: earlier printed links stay valid)."""
    try:
        rows = [
            {
                "name": link.learner.name,
                "organisation": link.learner.organisation.name,
                "county": link.learner.organisation.county.name,
                "username": link.username,
                "url": external_url("accounts.activate", token=link.token),
                "expires_at": link.expires_at,
            }
            for link in issued
        ]
    except LinksUnavailable as error:
        return render_template("errors/error.html", status=503, title="无法生成激活链接",
                               message=error.message, reference=None), 503
    if warning := fallback_warning():
        flash(warning, "warning")
    response = make_response(render_template(
        "learners/activation_links.html", rows=rows, skipped=skipped, generated_at=utcnow(),
    ))
    response.headers["Referrer-Policy"] = "no-referrer"
    return _no_store(response)


@bp.route("/learners/<int:learner_id>/activation-link", methods=["POST"])
@roles_required(*LEARNER_MANAGERS)
def activation_link(learner_id: int):
    learner = _learner_or_404(learner_id)
    _confirm_or_400()
    issued, _ = trainee_accounts.issue_activation_links([learner], actor=current_user)
    if not issued:
        flash("该学员的账号已激活（或已停用），不需要激活链接。", "info")
        return redirect(url_for("learners.detail", learner_id=learner_id))
    return _links_page(issued, 0)


@bp.route("/learners/activation-links", methods=["POST"])
@roles_required(*LEARNER_MANAGERS)
def activation_links():
    """Links for the ticked learners, or for every learner of the current filter, whose
    account is not activated yet; answered with a printable list."""
    _confirm_or_400()
    form = _filter_form()
    filters = form.to_filters()
    mark_outside_area(form, current_user)
    back = url_for("learners.list", **form.args(include_q=not looks_personal(filters.q)))
    ticked = request.form.getlist("learner_id")
    if request.form.get("selection") and not ticked:
        flash("请先在名册中勾选学员。", "warning")
        return redirect(back)
    ids = parse_ids(ticked) if ticked else None
    if ticked and ids is None:
        flash("所选学员无效，请刷新页面后重新勾选。", "danger")
        return _render_list(form, filters, status=400)
    learners = queries.not_activated(current_user, filters, ids)
    if not learners:
        flash("没有需要生成激活链接的学员：所选学员的账号都已激活。", "info")
        return redirect(back)
    try:
        issued, skipped = trainee_accounts.issue_activation_links(learners, actor=current_user)
    except LearnerError as error:
        flash(error.message, "warning")
        return _render_list(form, filters, status=400)
    return _links_page(issued, skipped)


# the trainee's own page ------------------------------------------------------------------------


@bp.route("/me")
@roles_required(Role.TRAINEE)
def me():
    learner = queries.learner_of_user(current_user)
    response = make_response(render_template(
        "learners/me.html",
        learner=learner,
        full=operations.own_personal_data(learner) if learner is not None else None,
        sections=collect_sections(learner_page_sections, learner=learner) if learner else [],
    ))
    return _no_store(response)
