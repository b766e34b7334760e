"""The plain-language scorer on hand-written messages with known answers, and on real comment bodies."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

from metrics.plain_language import (
    FlaggedTerm,
    MessageScore,
    PlainLanguageThresholds,
    aggregate,
    clean_message,
    detect_language,
    explained_acronyms,
    score_message,
    shipped_lexicon,
)

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / ".." / "shared" / "fixtures"

JARGON = "The idempotent endpoint had a race condition causing latency spikes; I pushed a hotfix."
PLAIN = "We fixed the login problem. Please try again and tell me if you still see the error."
UKRAINIAN = "Привіт! Я вже виправив помилку, перевірте, будь ласка."


# --- cleaning -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "cleaned"),
    [
        ("Fixed it:\n```python\nx = compute()\n```\nPlease check.", "Fixed it:\n\nPlease check."),
        ("Unclosed fence below.\n```\nx = 1", "Unclosed fence below."),
        ("Run this:\n\n    make deploy\n    make test\n\nThen reload.", "Run this:\n\nThen reload."),
        ("Call `get_user()` again, then {{reload}} the page.", "Call again, then the page."),
        ("See https://example.com/a?b=1 and www.example.org now.", "See and now."),
        ("Read [the guide](https://x.test/g) or [notes|https://x.test/n].", "Read the guide or notes."),
        ("Ping @olena or [~accountid:5b10a2844c] or anna@example.com :smile:", "Ping or or"),
        ("{code:java}int x = 1;{code}\nDone.\n{noformat}log line{noformat}", "Done."),
        ("{quote}Why is it slow?{quote}\nIt is faster now.", "It is faster now."),
        ("> Is it fixed?\n> Please tell me.\nYes, it is fixed.", "Yes, it is fixed."),
        (
            "Yes, released.\n\nOn Mon, 3 Jun 2024 at 10:00, Anna <anna@example.com> wrote:\n> Any news?",
            "Yes, released.",
        ),
        ("Released today.\n-- \nTaras Shevchenko\nSenior Engineer", "Released today."),
        ("Released today.\n\nBest regards,\nTaras Shevchenko\nAcme Inc.", "Released today."),
        ("Thanks, that fixed it!", "Thanks, that fixed it!"),
        ("## Update\n* **Fixed** the _export_\n1. Check it", "Update\nFixed the export\nCheck it"),
        ("<!-- template -->Works <b>now</b>.", "Works now ."),
        ("```\nonly code\n```", ""),
    ],
)
def test_clean_message_keeps_only_prose(raw, cleaned):
    assert clean_message(raw) == cleaned


def test_clean_message_keeps_a_sign_off_followed_by_more_message():
    text = "Hi!\nThanks!\nI fixed the export.\nPlease check it."
    assert clean_message(text) == text


@pytest.mark.parametrize(
    "trace",
    [
        'Traceback (most recent call last):\n  File "app.py", line 3, in <module>\n    main()\nValueError: bad input',
        "java.lang.NullPointerException: user is null\n\tat com.acme.Users.find(Users.java:42)\n"
        "\tat com.acme.Api.handle(Api.java:7)\nCaused by: java.io.IOException: closed\n\t... 3 more",
        "TypeError: Cannot read properties of undefined (reading 'id')\n    at render (app.js:10:5)\n"
        "    at https://x.test/main.js:1:200\n    at Array.map (<anonymous>)",
    ],
)
def test_clean_message_drops_stack_traces(trace):
    assert clean_message(f"It crashed:\n{trace}\nI fixed it.") == "It crashed:\n\nI fixed it."


def test_clean_message_keeps_an_error_name_in_prose():
    assert clean_message("You saw a TypeError: that is fixed.") == "You saw a TypeError: that is fixed."


# --- language ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "language"),
    [
        (PLAIN, "en"),
        ("Will do", "en"),  # the n-gram model alone says Italian
        ("Looks good to me", "en"),  # ... and Afrikaans here
        ("LGTM", "en"),
        (UKRAINIAN, "uk"),
        ("Исправил, проверьте пожалуйста", "ru"),
        ("Wir haben den Fehler gefunden und behoben.", "de"),
        ("Hola, ya está arreglado.", "es"),
        ("Lorem ipsum dolor sit amet, consectetur adipiscing elit.", "la"),
        ("1234 !!!", "und"),
    ],
)
def test_detect_language(text, language):
    assert detect_language(text) == language


# --- one message ------------------------------------------------------------------------------------


def test_jargon_heavy_message_fails_with_suggestions():
    score = score_message(JARGON)
    assert (score.language, score.supported, score.words, score.sentences) == ("en", True, 14, 1)
    assert score.jargon_words == 6  # idempotent, endpoint, race condition (2 words), latency, hotfix
    assert score.jargon_share == pytest.approx(6 / 14)
    assert score.flagged == (
        FlaggedTerm("idempotent", 1, "safe to repeat"),
        FlaggedTerm("endpoint", 1, "web address the app calls"),
        FlaggedTerm("race condition", 1, "timing problem"),
        FlaggedTerm("latency", 1, "delay"),
        FlaggedTerm("hotfix", 1, "urgent fix"),
    )
    assert score.unexplained_acronyms == ()
    assert score.passes is False
    assert score.reasons == (
        '5 terms a client may not know: idempotent (say "safe to repeat"), endpoint (say "web address the '
        'app calls"), race condition (say "timing problem"), latency (say "delay"), hotfix (say "urgent fix")',
    )


def test_plain_message_passes():
    score = score_message(PLAIN)
    assert (score.words, score.sentences, score.avg_words_per_sentence) == (17, 2, 8.5)
    assert (score.jargon_words, score.flagged, score.unexplained_acronyms) == (0, (), ())
    assert score.readability_grade == pytest.approx(2.3, abs=0.05)
    assert (score.passes, score.reasons) == (True, ())


def test_code_only_message_is_not_scored():
    score = score_message("```\nSELECT * FROM orders;\n```\n    print(1)\n`x`")
    assert score == MessageScore(
        language="und",
        supported=False,
        reasons=("Not scored: nothing left to read once code, logs, links, quotes and signatures are removed",),
    )


def test_mixed_message_is_scored_on_its_prose_only():
    text = (
        "I found the cause. The export broke on empty names.\n"
        "```\ndef export(rows):\n    return [r.name.strip() for r in rows]\n```\n"
        'Traceback (most recent call last):\n  File "export.py", line 2, in export\n'
        "AttributeError: 'NoneType' object has no attribute 'strip'\n"
        "It works again now, see https://x.test/pr/7."
    )
    score = score_message(text)
    # "I found the cause." + "The export broke on empty names." + "It works again now, see ."
    assert (score.words, score.sentences, score.flagged, score.passes) == (15, 3, (), True)


def test_acronym_explained_in_the_thread_is_not_flagged():
    message = "The CI run failed, so I restarted it."
    alone = score_message(message)
    assert alone.unexplained_acronyms == ("CI",)
    assert alone.flagged == (FlaggedTerm("CI", 1, "automatic checks"),)
    # CI is also 1 word in 8 of jargon; the abbreviation reason already names it, so it is said once.
    assert alone.reasons == (
        '1 abbreviation not spelled out: CI (write each in full once, e.g. "continuous integration (CI)")',
    )
    for thread in ("We test each change with Continuous Integration (CI).", "CI (continuous integration) runs"):
        explained = score_message(message, thread_text=thread)
        assert (explained.unexplained_acronyms, explained.flagged, explained.jargon_words) == ((), (), 0)
        assert explained.passes is True


def test_acronym_explained_in_the_message_itself_is_not_flagged():
    score = score_message("Your SLA (service level agreement) promises a reply within 30 minutes.")
    assert (score.unexplained_acronyms, score.flagged, score.passes) == ((), (), True)


@pytest.mark.parametrize(
    ("text", "acronyms"),
    [
        ("Continuous Integration (CI) and CD (continuous delivery)", {"CI", "CD"}),
        ("the Department of Motor Vehicles (DMV)", {"DMV"}),
        ("written in JavaScript (JS)", {"JS"}),
        ("the PR (the proposed change) is ready", {"PR"}),
        ("Merged it (PR) today", set()),
        ("CI (CD)", set()),
    ],
)
def test_explained_acronyms(text, acronyms):
    assert explained_acronyms(text) == acronyms


def test_glossary_terms_are_not_flagged():
    text = "Deployed the API fix to staging."
    assert [flag.term for flag in score_message(text).flagged] == ["deploy", "API", "staging"]
    known = score_message(text, glossary=["staging", "api"])
    assert known.flagged == (FlaggedTerm("deploy", 1, "release"),)
    assert (known.unexplained_acronyms, known.jargon_words) == ((), 1)


def test_client_plain_words_override_and_extend_the_lexicon():
    text = "We deploy the change to your ticket tonight."
    score = score_message(text, plain_words={"deploy": "put live", "ticket": "task"})
    assert score.flagged == (FlaggedTerm("deploy", 1, "put live"), FlaggedTerm("ticket", 1, "task"))
    assert score_message(text).flagged == (FlaggedTerm("deploy", 1, "release"),)


def test_inflected_forms_match_their_lexicon_entry():
    score = score_message("Two PRs merged; the race conditions are gone and it redeployed fine.")
    assert score.flagged == (
        FlaggedTerm("PR", 1, "proposed change"),
        FlaggedTerm("merge", 1, "combine the changes"),
        FlaggedTerm("race condition", 1, "timing problem"),
        FlaggedTerm("redeploy", 1, "release again"),
    )
    assert score.unexplained_acronyms == ("PR",)


def test_names_shouting_and_plain_abbreviations_are_not_jargon():
    score = score_message("Hi Anna, Taras will check the Stripe payout tomorrow. PLEASE CHECK IT ASAP, OK?")
    assert (score.flagged, score.unexplained_acronyms, score.passes) == ((), (), True)


def test_ukrainian_message_is_skipped_not_scored():
    score = score_message(UKRAINIAN)
    assert (score.language, score.supported, score.words, score.passes) == ("uk", False, 0, False)
    assert score.reasons == ("Not scored: written in Ukrainian; only English is scored for now",)


def test_long_sentences_and_a_high_grade_fail_with_reasons():
    text = (
        "Unfortunately the international organization required additional administrative approval, "
        "consequently delaying the implementation considerably beyond the originally communicated date "
        "because several departments simultaneously requested modifications."
    )
    score = score_message(text)
    assert (score.words, score.sentences, score.flagged) == (24, 1, ())
    # 85 syllables over 24 words: 0.39 * 24 + 11.8 * 85 / 24 - 15.59
    assert score.readability_grade == pytest.approx(35.1)
    assert score.reasons == (
        "Sentences average 24 words; aim for 20 or fewer",
        "Reads at school grade 35; aim for grade 10 or lower",
    )


def test_grade_is_not_judged_on_a_one_liner():
    score = score_message("Unfortunately, postponed indefinitely.")
    assert score.readability_grade > 10
    assert score.passes is True


def test_thresholds_can_allow_an_abbreviation():
    lenient = PlainLanguageThresholds(max_jargon_share=0.2, max_unexplained_acronyms=1)
    score = score_message("The CI run failed, so I restarted it.", thresholds=lenient)
    assert (score.unexplained_acronyms, score.passes, score.reasons) == (("CI",), True, ())


# --- many messages ----------------------------------------------------------------------------------


def test_too_few_words_give_a_note_instead_of_shares():
    summary = aggregate([score_message(JARGON), score_message(PLAIN), score_message(UKRAINIAN)])
    assert (summary.messages, summary.scored_messages, summary.skipped_messages) == (3, 2, 1)
    assert (summary.words, summary.passed_messages) == (31, 1)
    assert (summary.enough_data, summary.pass_share, summary.mean_jargon_share) == (False, None, None)
    assert summary.note == (
        "Too little to judge yet: 31 words in 2 scored messages; a fair reading needs at least 150 words."
    )


def test_pass_share_and_top_terms_over_enough_words():
    scores = [score_message(PLAIN)] * 7 + [score_message(JARGON)] * 3 + [score_message("```x```")]
    summary = aggregate(scores)
    assert (summary.messages, summary.scored_messages, summary.skipped_messages) == (11, 10, 1)
    assert (summary.words, summary.passed_messages, summary.enough_data, summary.note) == (161, 7, True, None)
    assert summary.pass_share == pytest.approx(0.7)
    assert summary.mean_jargon_share == pytest.approx(18 / 161)
    assert summary.top_flagged[:2] == (
        FlaggedTerm("endpoint", 3, "web address the app calls"),
        FlaggedTerm("hotfix", 3, "urgent fix"),
    )
    assert len(summary.top_flagged) == 5


def test_aggregate_of_nothing_says_so():
    summary = aggregate([])
    assert (summary.messages, summary.words, summary.enough_data, summary.pass_share) == (0, 0, False, None)
    assert summary.note == (
        "Too little to judge yet: 0 words in 0 scored messages; a fair reading needs at least 150 words."
    )


# --- the shipped lexicon and purity -----------------------------------------------------------------


def test_shipped_lexicon_has_plain_alternatives():
    lexicon = shipped_lexicon()
    assert len(lexicon.jargon) >= 150
    assert lexicon.jargon["deploy"] == "release"
    assert lexicon.jargon["rollback"] == "undo the release"
    assert lexicon.jargon["refactor"] == "restructure the code"
    assert all(suggestion.strip() for suggestion in lexicon.jargon.values())
    assert {"OK", "ASAP"} <= lexicon.plain_acronyms


def test_scorer_imports_nothing_from_app_or_connectors():
    sources = [REPO / "metrics" / "plain_language.py", *sorted((REPO / "metrics" / "language").glob("*.py"))]
    for source in sources:
        for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
            names = [alias.name for alias in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            assert not [name for name in names if name.split(".")[0] in {"app", "connectors"}], source


# --- real comment bodies ----------------------------------------------------------------------------


def _fixture_bodies() -> list[str]:
    """Collect every comment body and description in the shared GitHub and Jira fixtures."""
    if not FIXTURES.is_dir():
        pytest.skip("shared fixtures are not checked out next to the repository")
    found: set[str] = set()

    def walk(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if key in {"body", "description"} and isinstance(value, str):
                    found.add(value)
                else:
                    walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    for path in sorted(FIXTURES.rglob("*.json")):
        walk(json.loads(path.read_text(encoding="utf-8")))
    return sorted(found)


def test_every_real_comment_body_scores_or_is_skipped_cleanly():
    bodies = _fixture_bodies()
    assert len(bodies) >= 10
    for body in bodies:
        score = score_message(body)
        if score.supported:
            assert score.words > 0 and 0 <= score.jargon_share <= 1 and score.passes == (not score.reasons)
        else:
            assert (score.words, score.passes) == (0, False) and score.reasons[0].startswith("Not scored")
    scored = {body: score_message(body) for body in bodies}
    assert scored["You are totally right! I'll get this fixed right away."].passes is True
    latin = [score for body, score in scored.items() if body.startswith("Lorem ipsum")]
    assert latin and all(score.language == "la" and not score.supported for score in latin)
