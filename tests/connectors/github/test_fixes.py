import pytest

from connectors.github.normalize import parse_fixes

REPO = "acme/shop"


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("Fixes #12", ("acme/shop#12",)),
        ("fix #1\ncloses #2\nResolved #3", ("acme/shop#1", "acme/shop#2", "acme/shop#3")),
        ("Closes: #4", ("acme/shop#4",)),
        (
            "close #5, fixed #6, resolves #7, resolve #8, closed #9",
            tuple(f"acme/shop#{n}" for n in range(5, 10)),
        ),
        ("FIXES other-org/api.v2#40", ("other-org/api.v2#40",)),
        ("Fixes ACME/Shop#3", ("acme/shop#3",)),  # our own repository, however it is spelled
        ("Fixes #3 and fixes #3 again", ("acme/shop#3",)),
        ("Relates to #5; see #6", ()),
        ("prefixes #5 and suffixed #6", ()),
        ("Fixes#5", ()),  # GitHub needs a space (or colon and space) after the keyword
        ("", ()),
        (None, ()),
    ],
)
def test_closing_keywords(body, expected):
    assert parse_fixes(REPO, body) == expected
