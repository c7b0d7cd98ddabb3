"""The field mapping onto the regulator's form (incidents/report.py)."""

from __future__ import annotations

from forms.questionnaire import QUESTIONS
from incidents.report import AP_FORM, MAPPED_KEYS


def test_the_regulator_report_maps_every_answer_once() -> None:
    """Every questionnaire answer has its place in the AP form mapping (the controllers
    are the organisation section), so a new question cannot be left out of the report."""
    keys = [f.source for s in AP_FORM for f in s.fields if isinstance(f.source, str)]
    assert len(keys) == len(set(keys))
    assert set(QUESTIONS) - MAPPED_KEYS == {"controllers"}
