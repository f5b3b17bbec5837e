"""Fuzzed query parameters on the dashboard, chart, export and review: 200 or 400, never a 5xx."""

from __future__ import annotations

from urllib.parse import urlencode

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.hub.activity.conftest import World

NAMES = ["tenant", "staff", "user", "action", "entity_type", "entity_id", "from", "to", "per_page", "cursor", "who"]
VALUES = st.one_of(
    st.text(max_size=40), st.integers(-10**12, 10**12).map(str), st.dates().map(str),
    st.sampled_from(["2024-02-30", "9999-12-31", "0001-01-01", "½", "²", "\x00", "' OR 1=1 --", "%", "acme.bob",
                     "everyone", "company"]),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(params=st.dictionaries(st.sampled_from(NAMES), VALUES, max_size=5))
def test_fuzzed_filters_never_break_a_page(world: World, client, login_as, params) -> None:
    if not getattr(client, "_fuzz_logged_in", False):
        login_as("agent", hub=world.hub)
        client._fuzz_logged_in = True
    query = urlencode(params)
    for url in (f"/activity?{query}", f"/activity/chart?{query}", f"/activity/export.csv?{query}"):
        response = client.get(url)
        body = response.get_data(as_text=True)
        assert response.status_code in (200, 400), (url, response.status_code)
        assert "Traceback" not in body


def test_nul_and_control_characters_are_field_errors(world: World, client, login_as) -> None:
    login_as("agent", hub=world.hub)
    for name in ("staff", "user", "action", "entity_type", "entity_id"):
        for url in (f"/activity?{name}=a%00b", f"/activity/chart?{name}=%00", f"/activity/export.csv?{name}=%00"):
            response = client.get(url)
            assert response.status_code == 400, url
