"""Numbers that look personal but are not well-formed ID or mobile numbers (an old 15-digit
ID, an ID typed with dashes, a mobile number with its country code) stay out of URLs too."""

from __future__ import annotations

import pytest

from trainhub.auth import Role
from trainhub.pii import looks_personal

LOOKALIKES = ["520221900307123", "520221-19900307-123X", "86 138 1234 5678"]


@pytest.mark.parametrize("text", LOOKALIKES)
def test_lookalike_numbers_count_as_personal(text):
    assert looks_personal(text)


@pytest.mark.parametrize("text", ["张明", "xy000012", "1381234", "水城区 2023"])
def test_names_and_fragments_are_not_personal(text):
    assert not looks_personal(text)


@pytest.mark.parametrize("text", LOOKALIKES)
def test_web_search_answers_in_place_without_a_redirect(client, world, login, text):
    login(Role.OFFICE)
    response = client.post("/learners", data={"q": text, "province": "52"})
    assert response.status_code == 200  # not a redirect to /learners?q=…
    assert response.headers["Cache-Control"] == "no-store"
    digits = "".join(ch for ch in text if ch.isdigit())
    for line in response.get_data(as_text=True).splitlines():
        if "href=" in line:
            assert digits not in "".join(ch for ch in line if ch.isdigit())


@pytest.mark.parametrize("text", LOOKALIKES)
def test_api_refuses_them_in_the_address(client, world, api_headers, text):
    response = client.get("/api/v1/learners", query_string={"q": text}, headers=api_headers(Role.OFFICE))
    assert response.status_code == 422
    assert "q" in response.get_json()["errors"]
    searched = client.post("/api/v1/learners/search", json={"q": text}, headers=api_headers(Role.OFFICE))
    assert searched.status_code == 200


@pytest.mark.parametrize("path", ["/learners", "/learners/export"])
@pytest.mark.parametrize("kind", ["id", "phone", "lookalike"])
def test_a_number_in_the_address_is_not_searched(client, world, login, audit_entries, path, kind):
    """An old bookmark or a typed address with a personal number: redirected to the list
    without it (303), told to use the search box; nothing was searched or exported."""
    login(Role.OFFICE)
    text = {"id": world.zhang.id_number, "phone": world.zhang.phone, "lookalike": LOOKALIKES[0]}[kind]
    response = client.get(path, query_string={"q": text, "province": "52"})
    assert response.status_code == 303
    assert response.headers["Location"] == "/learners?province=52"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "网址中的身份证号码或手机号码不会被用于查找" in page
    assert "请在上方的搜索框中输入号码" in page
    assert "李芳" in page  # the list without the number: both learners of the province
    assert text not in page
    assert audit_entries("learner.export") == []


def test_a_name_in_the_address_is_still_searched(client, world, login):
    login(Role.OFFICE)
    response = client.get("/learners", query_string={"q": "张明"})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert f'id="learner-{world.zhang.id}"' in page and f'id="learner-{world.li.id}"' not in page
