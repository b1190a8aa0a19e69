"""The enrolment page and the learner register recognise the same inputs as ID and mobile
numbers (one definition in ``trainhub.pii``): what finds a learner on one finds them on the
other, and what is no number finds nobody on either."""

from __future__ import annotations

import pytest

from trainhub.auth import Role

FULL_WIDTH = str.maketrans("0123456789X", "０１２３４５６７８９Ｘ")


def _typed(kind: str, world, learner_id: int) -> str:
    number, phone = world.id_numbers[learner_id], world.phones[learner_id]
    return {
        "id_lower": number.lower(),
        "id_spaced": f" {number[:6]} {number[6:14]} {number[14:]} ",
        "id_full_width": number.translate(FULL_WIDTH),
        "phone_country_code": f"+86 {phone[:3]}-{phone[3:7]}-{phone[7:]}",
        "phone_full_width": phone.translate(FULL_WIDTH),
        "phone_0086": "0086" + phone,
    }[kind]


@pytest.mark.parametrize("kind", ["id_lower", "id_spaced", "id_full_width", "phone_country_code",
                                  "phone_full_width", "phone_0086"])
def test_both_pages_find_the_same_learner(client, login, world, make_course, kind):
    course_id = make_course()
    login(Role.OFFICE)
    learner_id = world.learners[3]
    text = _typed(kind, world, learner_id)
    register = client.post("/learners", data={"q": text}).get_data(as_text=True)
    enrol = client.post(f"/courses/{course_id}/enrol", data={"q": text}).get_data(as_text=True)
    assert f'id="learner-{learner_id}"' in register
    assert f'value="{learner_id}"' in enrol
    others = [other for other in world.learners if other != learner_id]
    assert not any(f'id="learner-{other}"' in register for other in others)
    assert not any(f'name="learner_ids" value="{other}"' in enrol for other in others)


@pytest.mark.parametrize("text", ["12800001111", "5202211985030"])
def test_what_is_no_number_finds_nobody_on_either(client, login, world, make_course, text):
    course_id = make_course()
    login(Role.OFFICE)
    register = client.post("/learners", data={"q": text}).get_data(as_text=True)
    enrol = client.post(f"/courses/{course_id}/enrol", data={"q": text}).get_data(as_text=True)
    assert not any(f'id="learner-{learner}"' in register for learner in world.learners)
    assert not any(f'value="{learner}"' in enrol for learner in world.learners)
