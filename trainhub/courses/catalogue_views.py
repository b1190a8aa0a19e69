"""Catalogue pages: the programme with its phases, a phase with its tracks, and the office's
forms to create, edit, archive and restore programmes, phases, tracks and courses.

The readers of the course pages (office, coordinators, instructors, the Certification
Centre) read the programme and phase pages; only the office writes. Archived items leave
the lists unless the office ticks "显示已归档", and keep their own pages, marked 已归档.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from trainhub.accounts.forms import ConfirmForm
from trainhub.auth import Role, roles_required
from trainhub.courses import catalogue_queries as queries
from trainhub.courses import course_edits, phases
from trainhub.courses.catalogue import CatalogueError
from trainhub.courses.catalogue_forms import (
    ArchivedToggleForm,
    CourseForm,
    PhaseForm,
    ProgrammeForm,
    TrackForm,
)
from trainhub.courses.models import Course
from trainhub.courses.queries import COURSE_READERS, get_course
from trainhub.localtime import local_today

bp = Blueprint("catalogue", __name__)

PROGRAMME_PAGE = "catalogue.programme"


# helpers -------------------------------------------------------------------------------------


def _show_archived() -> tuple[ArchivedToggleForm, bool]:
    """The office's "显示已归档" switch (everyone else sees what is in use)."""
    form = ArchivedToggleForm(formdata=request.args)
    return form, current_user.role == Role.OFFICE and bool(form.archived.data)


def _or_404(item):
    if item is None:
        abort(404)
    return item


def render_catalogue_form(form, *, title: str, crumbs: list, submit: str, cancel_url: str, status: int = 200,
                 note: str | None = None, datalists: dict | None = None):
    return render_template("courses/catalogue_form.html", form=form, title=title, crumbs=crumbs,
                           submit=submit, cancel_url=cancel_url, note=note,
                           datalists=datalists or {}), status


def _saved(form, write):
    """``write()``'s result when the submitted form is right and the operation takes it;
    otherwise None with every refusal under its field, and the status to answer."""
    if not form.validate_on_submit():
        return None, 422
    try:
        return write(), 200
    except CatalogueError as exc:
        form.add_errors({field: message for field, message in exc.errors.items()
                         if not form.has_error(field)})
        return None, exc.status


def _edited(form, update, *, what: str, back: str):
    """An edit form's POST: the redirect to ``back`` once ``update()`` has saved (saying
    whether anything changed), else None and the status to show the form again with; for
    a GET, None and 200."""
    if request.method != "POST":
        return None, 200
    changed, status = _saved(form, update)
    if status != 200:
        return None, status
    flash(f"已保存{what}的修改。" if changed else "没有需要保存的修改。", "success" if changed else "info")
    return redirect(back), status


def switch_archived(item, operation, *, back: str, done: str, unchanged: str, what: str):
    """Archive or restore ``item`` from a button; a refusal answers its status with a page
    saying why."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        changed = operation(item, actor=current_user)
    except CatalogueError as exc:
        return render_template("courses/refused.html", what=what, messages=exc.errors.values(),
                               back=back), exc.status
    flash(done if changed else unchanged, "success" if changed else "info")
    return redirect(back)


# the programme -------------------------------------------------------------------------------


@bp.route("/programme")
@roles_required(*COURSE_READERS)
def programme():
    """The programme(s) with their phases: windows, tracks, courses and sessions."""
    toggle, archived = _show_archived()
    shown = queries.programmes(include_archived=archived)
    phase_rows = {p.id: [phase for phase in p.phases if archived or not phase.archived_at] for p in shown}
    phase_ids = [phase.id for rows in phase_rows.values() for phase in rows]
    tracks = {phase.id: queries.shown_tracks(phase, archived) for rows in phase_rows.values() for phase in rows}
    figures = queries.track_figures(current_user, [t.id for shown_tracks in tracks.values() for t in shown_tracks])
    return render_template(
        "courses/programme.html", programmes=shown, phase_rows=phase_rows, toggle=toggle,
        archived=archived, tracks=tracks, sessions=queries.phase_sessions(phase_ids), today=local_today(),
        phase_courses={phase_id: sum(figures[t.id].courses for t in shown) for phase_id, shown in tracks.items()},
    )


@bp.route("/programmes/new", methods=["GET", "POST"])
@roles_required(Role.OFFICE)
def programme_new():
    form = ProgrammeForm()
    status = 200
    if request.method == "POST":
        item, status = _saved(form, lambda: phases.create_programme(actor=current_user, **form.values()))
        if item is not None:
            flash(f"已新建项目“{item.name}”，可以为它新增阶段了。", "success")
            return redirect(url_for(PROGRAMME_PAGE, _anchor=f"programme-{item.id}"))
    return render_catalogue_form(form, title="新建项目", crumbs=[("项目与阶段", url_for(PROGRAMME_PAGE))],
                        submit="新建", cancel_url=url_for(PROGRAMME_PAGE), status=status,
                        note="项目名称不能与已有项目（含已归档的）重复；新建后再为它新增阶段和课程模块。")


@bp.route("/programmes/<int:programme_id>/edit", methods=["GET", "POST"])
@roles_required(Role.OFFICE)
def programme_edit(programme_id: int):
    item = _or_404(queries.get_programme(programme_id))
    form = ProgrammeForm(obj=item) if request.method == "GET" else ProgrammeForm()
    done, status = _edited(form, lambda: phases.update_programme(item, form.values(), actor=current_user),
                           what="项目", back=url_for(PROGRAMME_PAGE))
    if done is not None:
        return done
    return render_catalogue_form(form, title=f"编辑项目：{item.name}", crumbs=[("项目与阶段", url_for(PROGRAMME_PAGE))],
                        submit="保存", cancel_url=url_for(PROGRAMME_PAGE), status=status,
                        note="项目的时间须包含其全部阶段（含已归档的阶段）。")


@bp.route("/programmes/<int:programme_id>/archive", methods=["POST"])
@roles_required(Role.OFFICE)
def programme_archive(programme_id: int):
    item = _or_404(queries.get_programme(programme_id))
    return switch_archived(item, phases.archive_programme, back=url_for(PROGRAMME_PAGE), what=f"归档项目“{item.name}”",
                   done=f"已归档项目“{item.name}”。", unchanged="该项目已归档。")


@bp.route("/programmes/<int:programme_id>/restore", methods=["POST"])
@roles_required(Role.OFFICE)
def programme_restore(programme_id: int):
    item = _or_404(queries.get_programme(programme_id))
    return switch_archived(item, phases.restore_programme, back=url_for(PROGRAMME_PAGE), what=f"恢复项目“{item.name}”",
                   done=f"已恢复项目“{item.name}”。", unchanged="该项目未归档。")


# phases --------------------------------------------------------------------------------------


def _phase_crumbs(phase=None) -> list:
    crumbs = [("项目与阶段", url_for(PROGRAMME_PAGE))]
    if phase is not None:
        crumbs.append((phase.name, url_for("catalogue.phase", phase_id=phase.id)))
    return crumbs


@bp.route("/programmes/<int:programme_id>/phases/new", methods=["GET", "POST"])
@roles_required(Role.OFFICE)
def phase_new(programme_id: int):
    item = _or_404(queries.get_programme(programme_id))
    form = PhaseForm()
    status = 200
    if request.method == "GET":
        form.number.data = str(phases.next_phase_number(item))
    else:
        phase, status = _saved(form, lambda: phases.create_phase(item, actor=current_user, **form.values()))
        if phase is not None:
            flash(f"已新增{phase.name}。", "success")
            return redirect(url_for("catalogue.phase", phase_id=phase.id))
    return render_catalogue_form(form, title=f"新增阶段：{item.name}", crumbs=_phase_crumbs(), submit="新增",
                        cancel_url=url_for(PROGRAMME_PAGE), status=status,
                        note=f"项目时间：{item.starts_on:%Y-%m-%d} 至 {item.ends_on:%Y-%m-%d}。")


@bp.route("/phases/<int:phase_id>")
@roles_required(*COURSE_READERS)
def phase(phase_id: int):
    item = _or_404(queries.get_phase(phase_id))
    toggle, archived = _show_archived()
    tracks = queries.shown_tracks(item, archived)
    return render_template(
        "courses/phase.html", phase=item, tracks=tracks, toggle=toggle, archived=archived,
        figures=queries.track_figures(current_user, [track.id for track in tracks]),
        sessions=queries.phase_sessions([item.id])[item.id],
    )


@bp.route("/phases/<int:phase_id>/edit", methods=["GET", "POST"])
@roles_required(Role.OFFICE)
def phase_edit(phase_id: int):
    item = _or_404(queries.get_phase(phase_id))
    form = PhaseForm(obj=item) if request.method == "GET" else PhaseForm()
    done, status = _edited(form, lambda: phases.update_phase(item, form.values(), actor=current_user),
                           what=item.name, back=url_for("catalogue.phase", phase_id=item.id))
    if done is not None:
        return done
    programme = item.programme
    return render_catalogue_form(form, title=f"编辑阶段：{item.name}", crumbs=_phase_crumbs(item), submit="保存",
                        cancel_url=url_for("catalogue.phase", phase_id=item.id), status=status,
                        note=f"项目时间：{programme.starts_on:%Y-%m-%d} 至 {programme.ends_on:%Y-%m-%d}。"
                             "已排期的课次须在阶段时间之内（按北京时间比较）。")


@bp.route("/phases/<int:phase_id>/archive", methods=["POST"])
@roles_required(Role.OFFICE)
def phase_archive(phase_id: int):
    item = _or_404(queries.get_phase(phase_id))
    return switch_archived(item, phases.archive_phase, back=url_for("catalogue.phase", phase_id=item.id),
                   what=f"归档{item.name}", done=f"已归档{item.name}。", unchanged=f"{item.name}已归档。")


@bp.route("/phases/<int:phase_id>/restore", methods=["POST"])
@roles_required(Role.OFFICE)
def phase_restore(phase_id: int):
    item = _or_404(queries.get_phase(phase_id))
    return switch_archived(item, phases.restore_phase, back=url_for("catalogue.phase", phase_id=item.id),
                   what=f"恢复{item.name}", done=f"已恢复{item.name}。", unchanged=f"{item.name}未归档。")


# tracks --------------------------------------------------------------------------------------


@bp.route("/phases/<int:phase_id>/tracks/new", methods=["GET", "POST"])
@roles_required(Role.OFFICE)
def track_new(phase_id: int):
    item = _or_404(queries.get_phase(phase_id))
    form = TrackForm()
    status = 200
    if request.method == "POST":
        track, status = _saved(form, lambda: phases.create_track(item, actor=current_user, **form.values()))
        if track is not None:
            flash(f"已新增课程模块“{track.name}”。", "success")
            return redirect(url_for("catalogue.phase", phase_id=item.id))
    return render_catalogue_form(form, title=f"新增课程模块：{item.name}", crumbs=_phase_crumbs(item), submit="新增",
                        cancel_url=url_for("catalogue.phase", phase_id=item.id), status=status)


@bp.route("/tracks/<int:track_id>/edit", methods=["GET", "POST"])
@roles_required(Role.OFFICE)
def track_edit(track_id: int):
    item = _or_404(queries.get_track(track_id))
    form = TrackForm(obj=item) if request.method == "GET" else TrackForm()
    back = url_for("catalogue.phase", phase_id=item.phase_id)
    done, status = _edited(form, lambda: phases.update_track(item, form.values(), actor=current_user),
                           what="课程模块", back=back)
    if done is not None:
        return done
    return render_catalogue_form(form, title=f"编辑课程模块：{item.name}", crumbs=_phase_crumbs(item.phase), submit="保存",
                        cancel_url=back, status=status)


@bp.route("/tracks/<int:track_id>/archive", methods=["POST"])
@roles_required(Role.OFFICE)
def track_archive(track_id: int):
    item = _or_404(queries.get_track(track_id))
    return switch_archived(item, phases.archive_track, back=url_for("catalogue.phase", phase_id=item.phase_id),
                   what=f"归档课程模块“{item.name}”", done=f"已归档课程模块“{item.name}”。",
                   unchanged="该课程模块已归档。")


@bp.route("/tracks/<int:track_id>/restore", methods=["POST"])
@roles_required(Role.OFFICE)
def track_restore(track_id: int):
    item = _or_404(queries.get_track(track_id))
    return switch_archived(item, phases.restore_track, back=url_for("catalogue.phase", phase_id=item.phase_id),
                   what=f"恢复课程模块“{item.name}”", done=f"已恢复课程模块“{item.name}”。",
                   unchanged="该课程模块未归档。")


# courses -------------------------------------------------------------------------------------


def _course_form(course: Course | None) -> CourseForm:
    if request.method == "POST":
        form = CourseForm()
    elif course is None:
        form = CourseForm(formdata=None, data={"min_attendance_percent": "80", "excused_counts_against": ""})
        form.track_id.data = request.args.get("track", "")
    else:
        excused = {None: "", True: "true", False: "false"}[course.excused_counts_against]
        form = CourseForm(formdata=None, data={
            "code": course.code, "title": course.title, "track_id": str(course.track_id),
            "class_hours": f"{course.class_hours.normalize():f}", "mode": course.mode.value,
            "instructor_ids": [str(user.id) for user in course.instructors],
            "capacity": "" if course.capacity is None else str(course.capacity),
            "description": course.description or "",
            "min_attendance_percent": f"{(course.completion_min_rate * 100).normalize():f}",
            "has_assessment": course.has_assessment,
            "pass_score": "" if course.pass_score is None else f"{course.pass_score.normalize():f}",
            "excused_counts_against": excused,
        })
    current = course.track_id if course is not None else None
    form.set_choices(queries.track_choices(current),
                     queries.instructor_choices([user.id for user in course.instructors] if course else ()))
    return form


@bp.route("/courses/new", methods=["GET", "POST"])
@roles_required(Role.OFFICE)
def course_new():
    form = _course_form(None)
    status = 200
    if request.method == "POST":
        course, status = _saved(form, lambda: course_edits.create_course(actor=current_user, **form.values()))
        if course is not None:
            flash(f"已新建课程“{course.title}”（{course.code}）。", "success")
            return redirect(url_for("courses.detail", course_id=course.id))
    return render_catalogue_form(form, title="新建课程", crumbs=[("课程", url_for("courses.list"))], submit="新建",
                        cancel_url=url_for("courses.list"), status=status)


@bp.route("/courses/<int:course_id>/edit", methods=["GET", "POST"])
@roles_required(Role.OFFICE)
def course_edit(course_id: int):
    course = _or_404(get_course(current_user, course_id))
    form = _course_form(course)
    back = url_for("courses.detail", course_id=course.id)
    done, status = _edited(form, lambda: course_edits.update_course(course, form.values(), actor=current_user),
                           what="课程", back=back)
    if done is not None:
        return done
    return render_catalogue_form(form, title=f"编辑课程：{course.title}",
                        crumbs=[("课程", url_for("courses.list")), (course.title, back)], submit="保存",
                        cancel_url=back, status=status)


@bp.route("/courses/<int:course_id>/archive", methods=["POST"])
@roles_required(Role.OFFICE)
def course_archive(course_id: int):
    course = _or_404(get_course(current_user, course_id))
    return switch_archived(course, course_edits.archive_course, back=url_for("courses.detail", course_id=course.id),
                   what=f"归档课程“{course.title}”", done=f"已归档课程“{course.title}”。",
                   unchanged="该课程已归档。")


@bp.route("/courses/<int:course_id>/restore", methods=["POST"])
@roles_required(Role.OFFICE)
def course_restore(course_id: int):
    course = _or_404(get_course(current_user, course_id))
    return switch_archived(course, course_edits.restore_course, back=url_for("courses.detail", course_id=course.id),
                   what=f"恢复课程“{course.title}”", done=f"已恢复课程“{course.title}”。",
                   unchanged="该课程未归档。")
