"""docs/scenario-format.md agrees with the schema (issue 12, item 7)."""

from __future__ import annotations

from pathlib import Path

from factions.scenario.reference import BEGIN, END, field_reference, models, undocumented

DOC = Path(__file__).resolve().parents[2] / "docs" / "scenario-format.md"


def test_every_schema_field_has_a_description() -> None:
    assert undocumented() == []


def test_the_field_reference_in_the_document_is_current() -> None:
    """Regenerate with: python -m factions.scenario.reference docs/scenario-format.md"""
    text = DOC.read_text("utf-8")
    section = text.split(BEGIN, 1)[1].split(END, 1)[0]
    assert section.strip() == field_reference().strip()


def test_every_field_appears_in_the_document() -> None:
    text = DOC.read_text("utf-8")
    for m, _ in models():
        assert f"### `{m.__name__}`" in text
        for name in m.model_fields:
            assert f"| `{name}` |" in text, f"{m.__name__}.{name}"
    for name in ("dynamics", "contestants", "districts", "first_divisor"):
        assert f"| `{name}` |" in text


def test_no_sentence_about_work_to_come_that_exists() -> None:
    stale = ("later release", "still to come", "placeholder until", "placeholder rule",
             "comes with the political",
             "need the political dynamics")  # fmt: skip
    for doc in [*DOC.parent.glob("*.md"), DOC.parents[1] / "README.md"]:
        low = doc.read_text("utf-8").lower()
        for phrase in stale:
            assert phrase not in low, (doc.name, phrase)
