"""Course pages for enrolment: the course list with places, one course with its sessions,
learners and waiting list, enrolling (a selection, an organisation, a county), withdrawing,
and the enrolment export."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from trainhub.audit.operations import record
from trainhub.auth import Role, roles_required
from trainhub.courses import operations, queries
from trainhub.courses.forms import (
    CourseFilterForm,
    EnrolCountyForm,
    EnrolOrganisationForm,
    EnrolSelectionForm,
    LearnerSearchForm,
    WithdrawForm,
)
from trainhub.courses.models import Course, EnrolmentStatus
from trainhub.courses.queries import COURSE_READERS, ENROLLERS
from trainhub.db import utcnow
from trainhub.extensions import db
from trainhub.figures import Section
from trainhub.learners import queries as learner_queries
from trainhub.learners.models import Learner
from trainhub.learners.signals import learner_page_sections
from trainhub.orgs.queries import get_organisation
from trainhub.ratelimits import heavy
from trainhub.security import safe_next
from trainhub.spreadsheets import xlsx_download

bp = Blueprint("courses", __name__)

ENROLLED_PER_PAGE = 100


def _course_or_404(course_id: int) -> Course:
    course = queries.get_course(current_user, course_id)
    if course is None:
        abort(404)
    return course


def _int_or_none(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


def learner_enrolments_section(sender, *, learner: Learner) -> Section:
    """The learner's enrolments, on the learner's page and the trainee's own page (the
    page has decided that the reader may see the learner)."""
    return Section("courses/_learner_enrolments.html",
                   {"enrolments": queries.enrolments_of_learner(learner.id)}, order=10)


learner_page_sections.connect(learner_enrolments_section)


# reading -------------------------------------------------------------------------------------


@bp.route("/courses", endpoint="list")
@roles_required(*COURSE_READERS)
def course_list():
    form = CourseFilterForm(formdata=request.args)
    if current_user.role != Role.OFFICE:  # the office's toggle
        form.archived.data = False
    archived = bool(form.archived.data)
    form.set_choices(queries.phases_and_tracks(include_archived=archived))
    phase_id = track_id = q = None
    if form.validate():
        phase_id = _int_or_none(form.phase.data)
        track_id = _int_or_none(form.track.data)
        q = form.q.data
    courses = queries.list_courses(current_user, phase_id=phase_id, track_id=track_id, q=q,
                                   include_archived=archived)
    groups: list[tuple] = []
    for course in courses:
        if not groups or groups[-1][0] is not course.track:
            groups.append((course.track, []))
        groups[-1][1].append(course)
    return render_template(
        "courses/list.html",
        form=form,
        groups=groups,
        total=len(courses),
        counts=queries.course_counts(courses, current_user),
        filtered=bool(phase_id or track_id or q or archived),
    )


@bp.route("/courses/<int:course_id>")
@roles_required(*COURSE_READERS)
def detail(course_id: int):
    course = _course_or_404(course_id)
    enrolled = db.paginate(
        queries.course_enrolments(current_user, course.id, EnrolmentStatus.ENROLLED),
        page=request.args.get("page", 1, type=int),
        per_page=ENROLLED_PER_PAGE,
        error_out=False,
    )
    return render_template(
        "courses/detail.html",
        course=course,
        counts=queries.course_counts([course], current_user)[course.id],
        sessions=queries.course_sessions(course.id),
        enrolled=enrolled,
        waiting=queries.waiting_list(current_user, course.id),
        can_enrol=current_user.role in ENROLLERS,
    )


@bp.route("/courses/<int:course_id>/enrolments.xlsx")
@roles_required(*COURSE_READERS)
@heavy
def export(course_id: int):
    """The course's enrolments (of the reader's area) as a workbook; ID and phone masked."""
    course = _course_or_404(course_id)
    frame = queries.enrolment_frame(current_user, course)
    record("course.export_enrolments", target_type="course", target_id=course.id,
           detail={"rows": len(frame)})
    return xlsx_download({"报名名单": frame}, f"{course.code}-报名名单.xlsx")


# enrolling -----------------------------------------------------------------------------------


def _render_enrol(course: Course, q: str | None, *, search_form=None, selection_form=None,
                  organisation_form=None, county_form=None, status: int = 200):
    search_form = search_form or LearnerSearchForm(formdata=None, q=q)
    search = organisations = None
    statuses: dict = {}
    if q and not search_form.errors:
        search = learner_queries.find_learners(current_user, q, organisation_names=True)
        statuses = queries.enrolment_status_of(course.id, [learner.id for learner in search.learners])
        if search.kind == "name":
            organisations = learner_queries.organisations_matching(current_user, q)
    selection_form = selection_form or EnrolSelectionForm(formdata=None, q=q)
    if search is not None and len(search.learners) == 1 and not selection_form.learner_ids.data:
        selection_form.learner_ids.data = [search.learners[0].id]  # one found: ticked already
    county_form = county_form or EnrolCountyForm(formdata=None)
    county_form.set_choices(learner_queries.counties_with_learners(current_user))
    return render_template(
        "courses/enrol.html",
        course=course,
        counts=queries.course_counts([course], current_user)[course.id],
        timing=queries.course_timing(course.id, utcnow()),
        q=q or "",
        search_form=search_form,
        search=search,
        statuses=statuses,
        organisations=organisations,
        selection_form=selection_form,
        organisation_form=organisation_form or EnrolOrganisationForm(formdata=None, q=q),
        county_form=county_form,
    ), status


def _single_message(learner: Learner, summary: operations.EnrolmentSummary, course: Course):
    if summary.enrolled:
        return f"已为 {learner.name} 报名课程“{course.title}”。", "success"
    if summary.waitlisted:
        position = summary.waitlisted[0].waitlist_position
        return f"课程已满，{learner.name} 已进入候补名单（第 {position} 位）。", "warning"
    if summary.already:
        return f"{learner.name} 已{summary.already[0].status.label}，未作更改。", "info"
    return (f"{operations.full_message(course)}，未为 {learner.name} 报名"
            "（未选择进入候补名单）。"), "danger"


def _late_confirmed(course: Course, form) -> bool:
    """A course under way or ended takes an enrolment only with the explicit confirmation;
    without it the form's ``confirm_late`` says why. Called after the form's validation (and
    combined with ``&``, not ``and``) so that every error shows at once."""
    timing = queries.course_timing(course.id, utcnow())
    if timing.started and not form.confirm_late.data:
        form.confirm_late.errors.append(f"{timing.late_warning}如仍要报名，请勾选确认。")
        return False
    return True


def _enrol_and_report(course: Course, learners: list[Learner], *, waitlist: bool, what: str):
    summary = operations.enrol_many(learners, course, waitlist=waitlist)
    if len(learners) == 1:
        message, category = _single_message(learners[0], summary, course)
    else:
        message = f"{what}：{summary.message()}"
        category = "warning" if summary.refused or summary.waitlisted else "success"
        if summary.refused:
            message += f"{operations.full_message(course)}，未选择进入候补名单。"
    flash(message, category)
    return redirect(url_for("courses.detail", course_id=course.id))


def _closed(course: Course):
    """Back to the course's page when it takes no enrolment (archived), else None."""
    if not course.archived_note:
        return None
    flash(f"课程“{course.title}”{course.archived_note}，不能再报名。", "warning")
    return redirect(url_for("courses.detail", course_id=course.id))


@bp.route("/courses/<int:course_id>/enrol", methods=["GET", "POST"])
@roles_required(*ENROLLERS)
def enrol(course_id: int):
    """The enrolment page; POST searches learners (read-only: see :class:`LearnerSearchForm`)."""
    course = _course_or_404(course_id)
    if closed := _closed(course):
        return closed
    if request.method == "GET":
        return _render_enrol(course, None)
    form = LearnerSearchForm()
    if form.validate_on_submit():
        return _render_enrol(course, form.q.data or None, search_form=form)
    return _render_enrol(course, None, search_form=form, status=422)


@bp.route("/courses/<int:course_id>/enrol/selection", methods=["POST"])
@roles_required(*ENROLLERS)
def enrol_selection(course_id: int):
    course = _course_or_404(course_id)
    if closed := _closed(course):
        return closed
    form = EnrolSelectionForm()
    if form.validate_on_submit() & _late_confirmed(course, form):
        wanted = list(dict.fromkeys(form.learner_ids.data))
        learners = learner_queries.learners_by_ids(current_user, wanted)
        if len(learners) == len(wanted):
            return _enrol_and_report(course, learners, waitlist=form.waitlist.data,
                                     what=f"所选 {len(learners)} 名学员")
        form.learner_ids.errors.append("所选学员中有的不存在或不在您的负责区域内，未作任何报名。")
    return _render_enrol(course, form.q.data, selection_form=form, status=422)


@bp.route("/courses/<int:course_id>/enrol/organisation", methods=["POST"])
@roles_required(*ENROLLERS)
def enrol_organisation(course_id: int):
    course = _course_or_404(course_id)
    if closed := _closed(course):
        return closed
    form = EnrolOrganisationForm()
    if form.validate_on_submit() & _late_confirmed(course, form):
        organisation = get_organisation(current_user, form.organisation_id.data)
        if organisation is None:
            abort(404)
        learners = learner_queries.learners_of_organisation(current_user, organisation.id)
        if learners:
            return _enrol_and_report(course, learners, waitlist=form.waitlist.data,
                                     what=f"机构“{organisation.name}”的 {len(learners)} 名学员")
        form.organisation_id.errors.append(f"机构“{organisation.name}”还没有登记学员。")
    return _render_enrol(course, form.q.data, organisation_form=form, status=422)


@bp.route("/courses/<int:course_id>/enrol/county", methods=["POST"])
@roles_required(*ENROLLERS)
def enrol_county(course_id: int):
    course = _course_or_404(course_id)
    if closed := _closed(course):
        return closed
    form = EnrolCountyForm()
    counties = learner_queries.counties_with_learners(current_user)
    form.set_choices(counties)
    if form.validate_on_submit() & _late_confirmed(course, form):
        county = next(c for c in counties if c.code == form.county.data)
        learners = learner_queries.learners_of_county(current_user, county.code)
        return _enrol_and_report(course, learners, waitlist=form.waitlist.data,
                                 what=f"{county.province}{county.name}的 {len(learners)} 名学员")
    return _render_enrol(course, None, county_form=form, status=422)


# withdrawing ---------------------------------------------------------------------------------


@bp.route("/enrolments/<int:enrolment_id>/withdraw", methods=["GET", "POST"])
@roles_required(*ENROLLERS)
def withdraw(enrolment_id: int):
    enrolment = queries.get_enrolment(current_user, enrolment_id)
    if enrolment is None:
        abort(404)
    form = WithdrawForm()
    if request.method == "GET":
        form.next.data = safe_next(request.args.get("next")) or ""
    back = safe_next(form.next.data) or url_for("courses.detail", course_id=enrolment.course_id)
    if enrolment.status == EnrolmentStatus.WITHDRAWN:
        flash(f"{enrolment.learner.name} 已退出课程“{enrolment.course.title}”，无需重复退课。", "info")
        return redirect(back)
    if form.validate_on_submit():
        name, title = enrolment.learner.name, enrolment.course.title
        try:
            promoted = operations.withdraw(enrolment, form.reason.data)
        except operations.EnrolmentError as exc:
            form.reason.errors.append(exc.message)
        else:
            message = f"{name} 已退出课程“{title}”。"
            if promoted is not None:
                message += f"候补名单上的 {promoted.learner.name} 已自动补入。"
            flash(message, "success")
            return redirect(back)
    status = 422 if request.method == "POST" else 200
    return render_template("courses/withdraw.html", enrolment=enrolment, form=form, back=back), status
