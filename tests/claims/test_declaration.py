"""How a claim is declared: the check's name is the claim's name, its docstring the claim's
text (lines joined by single spaces), ``text=`` for a sentence that is an f-string."""

import pytest

from core.claims import CLAIMS, claim
from core.experiments import load_all


class _Experiment:
    """Stands in for an ``@experiment`` function: ``claim`` reads only its ``key``."""

    key = "declaration_test.run"


@pytest.fixture
def registry():
    """The claims registry, restored after the test (it is process-wide)."""
    before = dict(CLAIMS)
    yield CLAIMS
    CLAIMS.clear()
    CLAIMS.update(before)


def test_docstring_lines_become_one_single_spaced_sentence(registry):
    @claim(_Experiment, perturb=lambda r: {}, seeds=None)
    def reads_as_one_line(r: dict) -> bool:
        """the first line of the sentence,
        the second, indented as the code is,
            a third indented further
        """
        return bool(r)

    assert reads_as_one_line.name == "reads_as_one_line"
    assert reads_as_one_line.text == ("the first line of the sentence, the second, indented as "
                                      "the code is, a third indented further")
    assert registry["declaration_test.run.reads_as_one_line"] is reads_as_one_line
    assert reads_as_one_line.holds({"x": 1}) and not reads_as_one_line.holds({})


def test_text_replaces_the_docstring_and_a_claim_must_say_something(registry):
    limit = 0.15

    @claim(_Experiment, text=f"the loss stays above {limit}", perturb=lambda r: {})
    def loss_stays(r: dict) -> bool:
        return r["loss"] > limit

    assert loss_stays.text == "the loss stays above 0.15"
    with pytest.raises(ValueError, match="says nothing"):
        @claim(_Experiment, perturb=lambda r: {})
        def silent(r: dict) -> bool:
            return True
    with pytest.raises(ValueError, match="declared twice"):
        @claim(_Experiment, text="again", perturb=lambda r: {})
        def loss_stays(r: dict) -> bool:  # noqa: F811
            return True


def test_every_declared_text_is_one_single_spaced_line():
    load_all()
    for key, c in CLAIMS.items():
        assert c.text == " ".join(c.text.split()) and c.text, key
        assert key.endswith("." + c.name) and c.name.isidentifier(), key
