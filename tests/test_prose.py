"""tools.prose: every number in a notebook's Markdown is shown by its outputs, or cited with a link.
"""

from __future__ import annotations

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from tools import prose
from tools.nbmeta import notebook_paths


@pytest.mark.parametrize("path", notebook_paths(), ids=lambda p: p.stem)
def test_no_number_in_the_prose_is_missing_from_the_outputs(path):
    stale = prose.stale_numbers(path)
    assert not stale, (
        "numbers in Markdown that no output shows (print them, or cite them with a link):\n"
        + "\n".join(map(str, stale))
    )


def notebook(tmp_path, markdown, printed="val_accuracy 0.8853\nspeedup 2.63x\n", code="lr = 0.01"):
    nb = new_notebook()
    cell = new_code_cell(code)
    cell.outputs = [new_output("stream", name="stdout", text=printed)]
    nb.cells = [cell, new_markdown_cell(markdown)]
    path = tmp_path / "nb.ipynb"
    nbformat.write(nb, path)
    return path


def stale_texts(tmp_path, markdown, **kwargs):
    return [s.text for s in prose.stale_numbers(notebook(tmp_path, markdown, **kwargs))]


def test_a_planted_stale_number_fails(tmp_path):
    assert stale_texts(tmp_path, "Validation accuracy is 0.8853.") == []
    assert stale_texts(tmp_path, "Validation accuracy is 0.8861.") == ["0.8861"]


def test_numbers_match_at_the_precision_the_prose_uses(tmp_path):
    assert (
        stale_texts(tmp_path, "about 0.885, or 0.89, or 88.5% or 88.53%; 2.6x faster, 2.63 times")
        == []
    )
    assert stale_texts(tmp_path, "about 0.884 and 88.6%; 2.7x faster") == ["0.884", "88.6%", "2.7x"]


def test_timings_and_ratios_are_checked_but_counts_and_settings_are_not(tmp_path):
    assert stale_texts(tmp_path, "It took 17 seconds, 82 hours, and 50,000 times the time.") == [
        "17 seconds",
        "82 hours",
        "50,000 times",
    ]
    assert (
        stale_texts(tmp_path, "10 epochs of batch 32 on 48,000 images, layer 2 of 3, 2 times over")
        == []
    )
    assert stale_texts(tmp_path, "a learning rate of 0.01") == []  # a setting: it is in the code


def test_citations_code_math_and_versions_are_let_through(tmp_path):
    text = (
        "The book reports [0.846 after 5 epochs](https://example.org/book). `Dropout(0.25)`, "
        "$\\sigma'(0) = 0.25$, Python 3.11.7 and TensorFlow 2.19."
    )
    assert stale_texts(tmp_path, text) == []
    assert stale_texts(tmp_path, "The book reports 0.846 after 5 epochs.") == ["0.846"]


def test_the_tool_exits_1_on_a_stale_notebook(tmp_path, capsys):
    path = notebook(tmp_path, "Validation accuracy is 0.8861.")
    assert prose.main([str(path)]) == 1
    assert "'0.8861'" in capsys.readouterr().out
    assert prose.main([str(notebook(tmp_path, "Validation accuracy is 0.8853."))]) == 0
