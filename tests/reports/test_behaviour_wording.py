"""The behaviour-change block as people read it: plurals of decimal figures, the true
minus sign, empty parts said in one sentence rather than tables of zeros, in French and
English (the dashboard and the PDF render the same include)."""

from __future__ import annotations

import pytest
from django.template.loader import render_to_string
from django.utils import translation

from reports.behaviour import localized_behaviour


def _window(measurable: int, returned: int, not_yet: int = 0) -> dict:
    enough = measurable >= 5
    return {"measurable": measurable, "not_yet": not_yet, "returned": returned,
            "enough": enough, "share": returned / measurable if enough else None}


def _figures(*, change: float = 1.0, low: float = -0.12, high: float = 0.62, pairs: int = 12,
             asked: int = 20, people: int = 30, measurable: int = 30) -> dict:
    measure = {"measure": "volunteering-intent", "kind": "scale", "question_fr": "Envie ?",
               "question_en": "Keen?", "pairs": pairs, "enough": pairs >= 5,
               "before": 3.0, "after": 3.0 + change, "change": change, "change_low": low,
               "change_high": high, "improved": 0.5, "same": 0.3, "declined": 0.2}
    windows = {"90": _window(measurable, measurable // 3, people - measurable),
               "365": _window(measurable, measurable // 2, people - measurable)}
    return {"min_respondents": 5, "measures": [measure],
            "response": {moment: {"asked": asked, "answered": asked // 2,
                                  "enough": asked >= 5, "rate": 0.5 if asked else None}
                         for moment in ("after_action", "follow_up")},
            "returning": {"people": people, "windows": windows, "by_lever": []}}


def _render(figures: dict, language: str) -> str:
    with translation.override(language):
        return render_to_string("reports/_behaviour.html",
                                {"behaviour": localized_behaviour(figures, language)})


@pytest.mark.parametrize("language,change,expected", [
    ("en", 1.0, "Average change per person: 1 point ("),
    ("en", 1.5, "Average change per person: 1.50 points ("),
    ("en", 2.0, "Average change per person: 2 points ("),
    ("fr", 1.5, "Variation moyenne par personne\u00a0: 1,50 point ("),
    ("fr", 2.25, "Variation moyenne par personne\u00a0: 2,25 points ("),
])
def test_a_decimal_change_takes_the_plural_of_its_language(language, change, expected):
    assert expected in _render(_figures(change=change), language)


@pytest.mark.parametrize("language,expected", [
    ("en", "(95 % confidence interval \u22120.12 to 0.62)"),
    ("fr", "à 95 %\u00a0: \u22120,12 à 0,62)"),
])
def test_a_negative_bound_has_the_true_minus_sign(language, expected):
    text = _render(_figures(change=0.25), language)
    assert expected in text
    assert "-0" not in text


@pytest.mark.parametrize("language,expected", [
    ("en", ["No survey has been sent yet.",
            "Nobody has answered the same question at both moments yet.",
            "Nobody has come to an action here yet, so no return can be measured."]),
    ("fr", ["Aucun questionnaire n’a encore été envoyé.",
            "Personne n’a encore répondu à la même question aux deux moments.",
            "Personne n’est encore venu à une action ici\u00a0: "
            "aucun retour ne peut être mesuré."]),
])
def test_empty_parts_are_one_sentence_each(language, expected):
    text = _render(_figures(pairs=0, asked=0, people=0, measurable=0), language)
    for sentence in expected:
        assert sentence in text
    assert "<table" not in text and "<li>" not in text
    assert "(0 " not in text and "0 people" not in text and "0 personne" not in text


def test_people_not_measurable_yet_are_one_sentence():
    text = _render(_figures(people=7, measurable=0), "en")
    assert ("7 people came to an action here less than 90 days ago: whether they come back "
            "cannot be measured yet.") in text
    assert "<table" not in text


def test_the_returning_explanation_reads_well_in_french():
    text = _render(_figures(), "fr")
    assert ("et la part d’entre elles revenues pour une autre action dans les 90 jours "
            "suivant leur première, puis dans l’année") in text
    assert '<div class="overflow-auto"><table class="behaviour-returning">' in text
