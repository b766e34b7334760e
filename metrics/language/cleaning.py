"""Reduce a developer's message to the prose a client reads: no code, traces, links, quotes or signatures."""

from __future__ import annotations

import re

# Everything after a mail client's reply header is the quoted earlier message, not the developer's words.
_REPLY_HEADER = re.compile(
    r"^[ \t]*(On\s[^\n]{0,200}(?:\n[^\n]{0,200})?\swrote:|-{2,}\s*Original Message\s*-{2,}|From:\s.*\n\s*Sent:\s)",
    re.MULTILINE | re.IGNORECASE,
)
_FENCED_CODE = re.compile(r"^[ \t]*(`{3,}|~{3,})[^\n]*\n.*?(?:^[ \t]*\1[ \t]*$|\Z)", re.MULTILINE | re.DOTALL)
_JIRA_BLOCK = re.compile(r"\{(code|noformat|quote)(?::[^}]*)?\}.*?(?:\{\1\}|\Z)", re.DOTALL | re.IGNORECASE)
_HTML_BLOCK = re.compile(r"<!--.*?(?:-->|\Z)|<(pre|code|blockquote)\b[^>]*>.*?(?:</\1>|\Z)", re.DOTALL | re.IGNORECASE)
_HTML_TAG = re.compile(r"</?[A-Za-z][^>\n]*>")

_QUOTED_LINE = re.compile(r"^\s*(>|bq\.\s)")
_INDENTED = re.compile(r"^( {4,}|\t)\S")
_PY_TRACE_START = re.compile(r"^\s*Traceback \(most recent call last\):")
_PY_CHAINED = re.compile(r"^\s*(During handling of the above exception|The above exception was the direct cause)")
_FRAME = re.compile(
    r"""^\s*(
        File\s".*",\sline\s\d+.*                                  # Python frame
      | at\s+\S.*(\(.*:\d+(:\d+)?\)|\((Native\sMethod|Unknown\sSource|<anonymous>|native)\)|\S+:\d+:\d+)
      | \.\.\.\s\d+\s(more|common\sframes\somitted)               # Java elision
      | Caused\sby:\s\S.*
      | Exception\sin\sthread\s".*
    )\s*$""",
    re.VERBOSE,
)
_ERROR_HEADER = re.compile(r"^\s*(Uncaught\s+)?[\w$.]*(Error|Exception|Throwable|Exit|Interrupt)\b(:.*)?$")

_SIGNATURE_MARK = re.compile(r"^--\s?$")
_SIGN_OFF = re.compile(
    r"^((best|kind|warm|many)\s+)?(regards|wishes|thanks)[,.!]?$"
    r"|^(cheers|thanks|thank you|thx|best|sincerely|br|rgds|yours|ta)[,.!]?$"
    r"|^sent from my \w+",
    re.IGNORECASE,
)
_MAX_SIGNATURE_LINES = 4  # name, title, company, phone: more than that is a message, not a signature
_SENTENCE_END = re.compile(r"(?<!\bInc)(?<!\bLtd)(?<!\bLLC)(?<!\bCo)[.?!]$")

_INLINE_RULES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"(`+)[^`\n]*?\1"), " "),  # inline code
    (re.compile(r"\{\{.*?\}\}"), " "),  # Jira monospace
    (re.compile(r"!\[[^\]]*\]\([^)]*\)"), " "),  # markdown image
    (re.compile(r"!\S+\.(png|jpe?g|gif|svg)(\|[^!]*)?!", re.IGNORECASE), " "),  # Jira image
    (re.compile(r"\[([^\]\n]+)\]\([^)\n]*\)"), r"\1"),  # markdown link keeps its text
    (re.compile(r"\[~[^\]\n]*\]"), " "),  # Jira mention
    (re.compile(r"\[([^\]|\n]+)\|[^\]\n]*\]"), r"\1"),  # Jira link keeps its text
    (re.compile(r"\[(https?://|mailto:)[^\]\n]*\]"), " "),  # Jira bare link
    (re.compile(r"\b(https?://|ftp://|www\.)\S+", re.IGNORECASE), " "),
    (re.compile(r"\b[\w.+-]+@[\w-]+(\.[\w-]+)+\b"), " "),  # e-mail address
    (re.compile(r"(?<![\w@])@[\w.-]+"), " "),  # @mention
    (re.compile(r"\{(color|panel|anchor)(:[^}]*)?\}", re.IGNORECASE), " "),
    (re.compile(r":[a-z0-9_+-]+:"), " "),  # emoji shortcode
)
_LINE_MARKUP = re.compile(r"^\s*(#{1,6}\s+|h[1-6]\.\s+|[-*+#]+\s+|\d+[.)]\s+|\[[ xX]\]\s+)+")
_EMPHASIS = re.compile(r"(?<![\w*_~])[*_~]+(?=\S)|(?<=\S)[*_~]+(?![\w*_~])")
_TABLE_PIPES = re.compile(r"\|+")
_SPACES = re.compile(r"[ \t\u00a0]+")


def clean_message(text: str) -> str:
    """Return the prose of a message with code, traces, links, quotes, signatures and markup removed."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    reply = _REPLY_HEADER.search(text)
    if reply:
        text = text[: reply.start()]
    for block in (_FENCED_CODE, _JIRA_BLOCK, _HTML_BLOCK):
        text = block.sub("\n", text)
    lines = _drop_signature(_drop_code_lines(text.split("\n")))
    kept = [_clean_line(line) for line in lines]
    return "\n".join(_squeeze_blank_lines(kept)).strip()


def _drop_code_lines(lines: list[str]) -> list[str]:
    """Drop quoted lines, stack traces and indented code blocks, keeping blank lines as separators."""
    drop = _trace_lines(lines)
    kept: list[str] = []
    in_code = False
    previous_blank = True
    for index, line in enumerate(lines):
        blank = not line.strip()
        # Markdown only opens an indented code block after a blank line; it runs until a non-indented line.
        in_code = bool(_INDENTED.match(line)) and (in_code or previous_blank) or (in_code and blank)
        if index in drop or in_code or _QUOTED_LINE.match(line):
            kept.append("")
        else:
            kept.append(line)
        previous_blank = blank
    return kept


def _trace_lines(lines: list[str]) -> set[int]:
    """Return the indexes of lines that belong to a Python, Java or JavaScript stack trace."""
    drop = {index for index, line in enumerate(lines) if _FRAME.match(line) or _PY_CHAINED.match(line)}
    for index, line in enumerate(lines):
        if _PY_TRACE_START.match(line):
            end = index + 1
            while end < len(lines) and (lines[end][:1] in (" ", "\t") or end in drop):
                end += 1
            # The line after the frames names the exception ("ValueError: bad input").
            last = end + 1 if end < len(lines) and _looks_like_exception(lines[end]) else end
            drop.update(range(index, last))
    for index, line in enumerate(lines):
        next_is_frame = index + 1 < len(lines) and index + 1 in drop
        if index not in drop and next_is_frame and _ERROR_HEADER.match(line):
            drop.add(index)
    return drop


def _looks_like_exception(line: str) -> bool:
    """Tell whether a line reads like ``SomeError: message`` right after a Python trace."""
    return bool(re.match(r"^[\w.]+(:|$)", line.strip()))


def _drop_signature(lines: list[str]) -> list[str]:
    """Cut an e-mail signature: everything after ``-- `` or a short sign-off block at the end."""
    for index, line in enumerate(lines):
        if _SIGNATURE_MARK.match(line):
            return lines[:index]
    filled = [index for index, line in enumerate(lines) if line.strip()]
    for position, index in enumerate(filled):
        after = [lines[later].strip() for later in filled[position + 1 :]]
        if position > 0 and _SIGN_OFF.match(lines[index].strip()) and _is_signature_block(after):
            return lines[:index]
    return lines


def _is_signature_block(lines: list[str]) -> bool:
    """Tell whether the lines after a sign-off are a name-and-title block rather than more message."""
    return len(lines) <= _MAX_SIGNATURE_LINES and all(
        len(line.split()) <= 6 and not _SENTENCE_END.search(line) for line in lines
    )


def _clean_line(line: str) -> str:
    """Strip inline code, links and markup from one line of prose."""
    line = _HTML_TAG.sub(" ", line)  # after trace detection: JS frames read "at f (<anonymous>)"
    for pattern, replacement in _INLINE_RULES:
        line = pattern.sub(replacement, line)
    line = _LINE_MARKUP.sub("", line)
    line = _EMPHASIS.sub("", line)
    line = _TABLE_PIPES.sub(" ", line)
    return _SPACES.sub(" ", line).strip()


def _squeeze_blank_lines(lines: list[str]) -> list[str]:
    """Collapse runs of blank lines into one."""
    squeezed: list[str] = []
    for line in lines:
        if line or (squeezed and squeezed[-1]):
            squeezed.append(line)
    return squeezed
