"""Enrolling in a course under way or ended: the enrol page warns with the number of sessions
already held and wants an explicit confirmation; the API answers the same warning."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from trainhub.courses.models import Enrolment, TrainingSession
from trainhub.db import utcnow
from trainhub.extensions import db

UNDER_WAY = "本课程已开课：共 6 个课次，已举行 4 个。现在报名，已开始的 4 个课次不计入出勤率，出勤率按之后的 2 个课次计算。"
ENDED = "本课程已结束：4 个课次均已举行。现在报名的学员没有可计入出勤率的课次，无法按出勤率结业。"


def _schedule(app, course_id: int, *days: float) -> None:
    """Two-hour sessions starting ``days`` from now."""
    now = utcnow()
    with app.app_context():
        for day in days:
            starts = now + timedelta(days=day)
            db.session.add(TrainingSession(course_id=course_id, starts_at=starts,
                                           ends_at=starts + timedelta(hours=2)))
        db.session.commit()


def _enrolled(app, course_id: int) -> set[int]:
    with app.app_context():
        return set(db.session.scalars(sa.select(Enrolment.learner_id).where(Enrolment.course_id == course_id)))


@pytest.fixture
def under_way(app, make_course):
    course_id = make_course()
    _schedule(app, course_id, -30, -20, -10, -3, 4, 11)
    return course_id


def test_enrol_page_warns_about_a_course_under_way(client, login, under_way):
    login("office")
    page = client.get(f"/courses/{under_way}/enrol").get_data(as_text=True)
    assert "课程已开课" in page and UNDER_WAY in page
    assert "我已了解上述情况，仍要报名" in page


def test_enrol_page_warns_about_an_ended_course(app, client, login, make_course):
    course_id = make_course()
    _schedule(app, course_id, -30, -20, -10, -3)
    login("office")
    page = client.get(f"/courses/{course_id}/enrol").get_data(as_text=True)
    assert "课程已结束" in page and ENDED in page


def test_no_warning_before_the_first_session(app, client, login, world, make_course):
    course_id = make_course()
    _schedule(app, course_id, 3, 10)
    login("office")
    page = client.post(f"/courses/{course_id}/enrol", data={"q": world.names[world.learners[0]]}).get_data(as_text=True)
    assert "本课程已开课" not in page and "confirm_late" not in page
    response = client.post(f"/courses/{course_id}/enrol/selection", data={"learner_ids": [str(world.learners[0])]})
    assert response.status_code == 302
    assert _enrolled(app, course_id) == {world.learners[0]}


@pytest.mark.parametrize("how", ["selection", "organisation", "county"])
def test_late_enrolment_needs_the_confirmation(app, client, login, world, under_way, how):
    login("office")
    data = {
        # as the page posts them: with the search text that found the learner or organisation
        "selection": {"learner_ids": [str(world.learners[0])], "q": world.names[world.learners[0]]},
        "organisation": {"organisation_id": str(world.orgs[0]), "q": "六枝特区"},
        "county": {"county": "520203"},
    }[how]
    response = client.post(f"/courses/{under_way}/enrol/{how}", data=data)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert f"{UNDER_WAY}如仍要报名，请勾选确认。" in page
    assert 'name="confirm_late"' in page  # the form is shown again with its box to tick
    assert _enrolled(app, under_way) == set()

    response = client.post(f"/courses/{under_way}/enrol/{how}", data={**data, "confirm_late": "y"})
    assert response.status_code == 302
    assert _enrolled(app, under_way) == ({world.learners[0]} if how == "selection" else set(world.in_org(0)))


def test_every_error_shows_at_once(app, client, login, under_way):
    login("office")
    response = client.post(f"/courses/{under_way}/enrol/selection", data={})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "请至少勾选一名学员。" in page
    assert "如仍要报名，请勾选确认。" in page


def test_api_answers_the_warning(app, client, api_headers, world, under_way, make_course):
    headers = api_headers("office")
    response = client.post("/api/v1/enrolments", headers=headers,
                           json={"learner_id": world.learners[0], "course_id": under_way})
    assert response.status_code == 201
    body = response.get_json()
    assert body["warning"] == UNDER_WAY
    assert body["learner_id"] == world.learners[0] and body["status"] == "enrolled"

    later = make_course()
    _schedule(app, later, 5)
    response = client.post("/api/v1/enrolments", headers=headers,
                           json={"learner_id": world.learners[0], "course_id": later})
    assert response.status_code == 201
    assert response.get_json()["warning"] is None
