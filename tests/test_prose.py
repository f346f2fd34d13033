"""tools.prose: every number in a notebook's Markdown is shown by an output or code of its section,
or cited with a link.
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
        "numbers in Markdown that no output or code of their section shows (print them there, or "
        "cite them with a link):\n"
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
        stale_texts(tmp_path, "batch 32 on 48,000 images, layer 2 of 3, 2 times over, 28×28") == []
    )
    assert stale_texts(tmp_path, "a learning rate of 0.01") == []  # a setting: it is in the code


def test_citations_code_math_and_versions_are_let_through(tmp_path):
    text = (
        "The book reports [0.846 after 5 epochs](https://example.org/book). `Dropout(0.25)`, "
        "$\\sigma'(0) = 0.25$, Python 3.11.7 and TensorFlow 2.19."
    )
    assert stale_texts(tmp_path, text) == []
    assert stale_texts(tmp_path, "The book reports 0.846 after 5 epochs.") == ["0.846", "5"]


def test_the_tool_exits_1_on_a_stale_notebook(tmp_path, capsys):
    path = notebook(tmp_path, "Validation accuracy is 0.8861.")
    assert prose.main([str(path)]) == 1
    assert "'0.8861'" in capsys.readouterr().out
    assert prose.main([str(notebook(tmp_path, "Validation accuracy is 0.8853."))]) == 0


def sectioned(tmp_path, *cells):
    """A notebook of ("md", text) and ("code", source, printed) cells."""
    nb = new_notebook()
    for kind, text, *printed in cells:
        if kind == "md":
            nb.cells.append(new_markdown_cell(text))
        else:
            cell = new_code_cell(text)
            cell.outputs = [new_output("stream", name="stdout", text=printed[0] if printed else "")]
            nb.cells.append(cell)
    path = tmp_path / "sections.ipynb"
    nbformat.write(nb, path)
    return [s.text for s in prose.stale_numbers(path)]


def test_a_number_must_be_shown_in_its_own_section(tmp_path):
    printed_in_1 = [("md", "## 1. Train"), ("code", "fit()", "val_accuracy 0.8853\n")]
    assert sectioned(tmp_path, *printed_in_1, ("md", "It reaches 0.8853.")) == []
    # the same number quoted in another section is stale there: an unrelated output of section 1
    # cannot back it
    assert sectioned(tmp_path, *printed_in_1, ("md", "## 2. Summary\n\nIt reached 0.8853.")) == [
        "0.8853"
    ]
    # a heading inside a Markdown cell opens a section too
    assert sectioned(tmp_path, ("code", "x", "0.8853"), ("md", "0.8853 here\n## 2\n0.8853")) == [
        "0.8853"
    ]
    # the Settings section's code counts everywhere: every size lives there
    settings = [("md", "## Settings"), ("code", "EPOCHS = 20\nLEARNING_RATE = 0.001")]
    assert sectioned(tmp_path, *settings, ("md", "## 3. Fit\n\n20 epochs at 0.001")) == []


def test_measured_whole_numbers_are_checked(tmp_path):
    """A count one seed produced ("stopped after epoch 15") must be printed beside the prose."""
    planted = "It stopped after epoch 15 and kept epoch 13: it saved 5 epochs, made 199 mistakes."
    assert sectioned(tmp_path, ("md", "## 4"), ("code", "fit()", "done"), ("md", planted)) == [
        "15",
        "13",
        "5",
        "199",
    ]
    printed = "stopped after epoch 15, kept epoch 13, 5 epochs saved, 199 mistakes"
    assert sectioned(tmp_path, ("md", "## 4"), ("code", "fit()", printed), ("md", planted)) == []
    # settings and sizes stay unchecked, and so does a Try next, which proposes settings
    unchecked = "784 inputs, layer 2, batch 32\n\n**Try next:** 40 epochs"
    assert sectioned(tmp_path, ("md", unchecked)) == []




def test_a_comment_in_a_fenced_code_block_opens_no_section(tmp_path):
    fenced = "```python\n# a comment\nrate = base\n```\n\nthe rate 0.25"
    assert sectioned(tmp_path, ("md", "## 6"), ("code", "fit()", "0.25"), ("md", fenced)) == []
