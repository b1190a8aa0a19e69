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
