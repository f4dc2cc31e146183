"""A percentage in a report's bar chart is written as the table beside it writes the same
figure (``core.formatting.percent``: whole, the language's spacing), in French and English."""

from __future__ import annotations

import pytest
from django.utils import translation

from core import formatting
from reports import charts


@pytest.mark.parametrize("language,expected", [("en", "13%"), ("fr", "13\u00a0%")])
def test_the_chart_and_the_table_write_a_percentage_the_same_way(language, expected):
    with translation.override(language):
        svg = str(charts.bar_chart([("E-mail", 12.5), ("Poster", 40.0)], title="Conversion",
                                   unit="%"))
        table = formatting.percent(0.125)
    assert table == expected
    assert f">{expected}</text>" in svg
    assert "12.5" not in svg and "12,5" not in svg
    assert ">40%</text>" in svg if language == "en" else ">40\u00a0%</text>" in svg
