"""The one JSON-with-comments reader the probes share (domain/jsonc.py)."""

from __future__ import annotations

import pytest

from workspace_trust.domain.jsonc import loads, strip_comments


def test_comments_outside_strings_become_spaces_and_line_breaks_stay() -> None:
    text = '// head\n{"a//b": "c/*d*/", /* x\n y */ "e": 1} // tail'
    stripped = strip_comments(text)
    assert len(stripped) == len(text)
    assert stripped.count("\n") == text.count("\n")
    assert loads(text) == {"a//b": "c/*d*/", "e": 1}
    # An escaped quote does not end a string; an escaped backslash does not escape it.
    assert loads(r'{"a": "x\" // y", "b": "z\\"} // c') == {"a": 'x" // y', "b": "z\\"}


def test_a_comment_separates_tokens_as_white_space_does() -> None:
    with pytest.raises(ValueError):
        loads('{"a": 1/**/2}')


def test_trailing_commas_only_when_asked() -> None:
    text = '{"a": [1, 2, /* c */ ], "b": {"c": 1,\n// d\n},}'
    with pytest.raises(ValueError):
        loads(text)
    assert loads(text, trailing_commas=True) == {"a": [1, 2], "b": {"c": 1}}


@pytest.mark.parametrize("text", ["[,]", "{,}", '{"a":,}', "[1,,]", '{"a": 1,,}'])
def test_a_comma_that_follows_no_value_still_fails(text: str) -> None:
    with pytest.raises(ValueError):
        loads(text, trailing_commas=True)


@pytest.mark.parametrize(
    "text",
    ['{"a": "open', '{"a": NaN}', '{"a": Infinity}', '{"a": -Infinity}', "{'a': 1}", "{a: 1}"],
)
def test_what_javascript_does_not_parse_does_not_parse(text: str) -> None:
    for trailing in (False, True):
        with pytest.raises(ValueError):
            loads(text, trailing_commas=trailing)


@pytest.mark.parametrize("text", ['{"a": 1} /* open', '{"a": 1} /*/', '{"a": 1} /*/ x'])
def test_a_block_comment_left_open_runs_to_the_end(text: str) -> None:
    """strip-json-comments blanks it to the end (tests/test_jsonc_differential.py
    runs the CLIs' own copy); jsonc-parser refuses it."""
    assert loads(text) == {"a": 1}
    with pytest.raises(ValueError):
        loads(text, trailing_commas=True)


def test_too_deep_a_document_is_a_value_error() -> None:
    with pytest.raises(ValueError):
        loads("[" * 100_000 + "]" * 100_000)


def test_pairs_hook_sees_every_pair_in_order() -> None:
    assert loads('{"b": 1, "a": 2, "b": 3,}', trailing_commas=True, object_pairs_hook=list) == [
        ("b", 1),
        ("a", 2),
        ("b", 3),
    ]
