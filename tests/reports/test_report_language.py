"""A report is offered in the language its requester reads the page in."""

import re

import pytest

from ..conftest import tenant_client


@pytest.mark.django_db
@pytest.mark.parametrize("lang", ["en", "fr"])
def test_the_report_language_follows_the_page(org_a, manager_a, lang):
    page = tenant_client(org_a, manager_a).get("/reports/", HTTP_ACCEPT_LANGUAGE=lang)
    selected = re.search(r'<select name="language"[^>]*>.*?</select>', page.content.decode(),
                         re.S).group(0)
    assert re.search(rf'<option value="{lang}" selected>', selected), selected
