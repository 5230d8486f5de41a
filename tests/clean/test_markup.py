import pytest

from corpussieve.clean.markup import strip_html_residue, strip_markdown, strip_markup


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("See [the report](https://example.com/r?a=1 \"Title\") now.", "See the report now."),
        ("See [the report][ref] now.\n[ref]: https://example.com", "See the report now."),
        ("A picture ![alt text](img.png) here.", "A picture  here."),
        ("This is **bold**, *italic*, __strong__, _em_ and ***both***.", "This is bold, italic, strong, em and both."),
        ("~~gone~~ and `code *not emphasis*`", "gone and code *not emphasis*"),
        ("## Heading two ##\nBody.", "Heading two\nBody."),
        ("Title\n=====\nBody.", "Title\nBody."),
        ("> quoted line\n> > nested", "quoted line\nnested"),
        ("| Name | Score |\n|------|------:|\n| Ann | 3 |", "Name Score\nAnn 3"),
        ("Escaped \\*stars\\* stay.", "Escaped *stars* stay."),
        ("Visit <https://example.com> today.", "Visit https://example.com today."),
        ("Text\n\n---\n\nMore", "Text\n\n\nMore"),
    ],
)
def test_markdown_residue_is_stripped(source, expected):
    assert strip_markup(source) == expected


@pytest.mark.parametrize(
    "ordinary",
    [
        "a * b = c and 2 * 3 * 4 = 24",
        "C# and F# are languages; #1 priority; #hashtag",
        "2 < 3 and 5 > 4, so x<y and y>z",
        "AT&T and R&D spend rose",
        "snake_case_name and my_var_name files",
        "Use 3 - 4 tickets - or more",
        "Prices: $5 * 2",
        "An email: someone@example.com",
    ],
)
def test_ordinary_text_survives(ordinary):
    assert strip_markup(ordinary) == ordinary


def test_html_tags_and_entities():
    source = '<p>Hello <b>world</b> &amp; <a href="x">friends</a>&nbsp;&mdash; bye</p><div>next</div>'
    assert strip_html_residue(source) == "Hello world & friends\u00a0\u2014 bye\nnext\n"
    assert strip_html_residue("<script>var a = 1 < 2;</script>kept<!-- comment -->") == "kept"
    # an escaped tag is content about HTML: it becomes visible text, not a tag to remove
    assert strip_html_residue("Use &lt;b&gt; for bold") == "Use <b> for bold"


CODE_DOC = "Intro.\n\n```python\nx = 1 * 2 * 3\nprint(x)\n```\n\nMiddle.\n\n    indented_code()\n    more()\n\nEnd."


def test_code_blocks_keep():
    expected = "Intro.\n\nx = 1 * 2 * 3\nprint(x)\n\nMiddle.\n\nindented_code()\nmore()\nEnd."
    assert strip_markdown(CODE_DOC, "keep") == expected


def test_code_blocks_drop():
    assert strip_markdown(CODE_DOC, "drop") == "Intro.\n\n\nMiddle.\n\nEnd."


def test_unclosed_fence_keeps_following_text_as_code():
    assert strip_markdown("a\n```\n**x**", "keep") == "a\n**x**"


def test_none_and_empty():
    assert strip_markup(None) == "" and strip_markup("") == ""
