#!/usr/bin/env python3
"""Writes Tests/StagesTests/Resources/tokenizer.json: tricky text, the tokens Python's
re.split(r"\\b", text) gives for it (empty ends dropped), and the same for the text after the
project's normalisation (accents stripped, NFC, ASCII quotes and dashes).

    python3 tools/make_tokenizer_fixture.py
"""
import json
import os
import re
import unicodedata

REPLACEMENTS = {
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"', "\u00ab": '"', "\u00bb": '"',
    "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "--", "\u2015": "--", "\u2212": "-",
}


def normalize(text):
    out = []
    for ch in unicodedata.normalize("NFD", text):
        if unicodedata.category(ch) == "Mn":
            continue
        out.append(REPLACEMENTS.get(ch, ch))
    return unicodedata.normalize("NFC", "".join(out))


def tokenize(text):
    pieces = re.split(r"\b", text)
    while pieces and pieces[0] == "":
        pieces.pop(0)
    while pieces and pieces[-1] == "":
        pieces.pop()
    return pieces


LINES = [
    "KING.\r\nWhat say'st thou? Is't not the 2nd of May, 1599?\r\n",
    "QUEEN.  \u2018Tis true; \u201cthe\u201d ghost\u2019s walk is o\u2019er \u2014 or nearly\u2013so.\n",
    "A renown\u00e8d knight, a renowne\u0300d lady (decomposed), na\u00efve caf\u00e9 r\u00e9sum\u00e9.\n",
    "snake_case and __dunder__ names, x_1 and _9; tabs\there\tand   spaces.\n",
    "Numbers: 3.14159, 10,000, \u00bd, \u00b2, \u2167, \u0663\u0664 and \u4e8c\u5341 in other scripts.\n",
    "\u039a\u03b1\u03bb\u03b7\u03bc\u03ad\u03c1\u03b1 \u03ba\u03cc\u03c3\u03bc\u03b5! \u041f\u0440\u0438\u0432\u0435\u0442, \u043c\u0438\u0440. \u3053\u3093\u306b\u3061\u306f\u4e16\u754c\u3002\n",
    "Emoji \U0001F600 and \u2764\ufe0f between words; ellipsis\u2026 and a \u00abquote\u00bb.\n",
    "[Exeunt severally.]\n\n\n",
    "Trailing word without newline",
]
TEXT = "".join(LINES) * 3

if __name__ == "__main__":
    norm = normalize(TEXT)
    fixture = {"text": TEXT, "tokens": tokenize(TEXT), "normalized": norm, "normalized_tokens": tokenize(norm)}
    path = os.path.join(os.path.dirname(__file__), "..", "Tests", "StagesTests", "Resources", "tokenizer.json")
    with open(path, "w", encoding="utf-8") as f:
        json.dump(fixture, f, ensure_ascii=True, indent=1)
        f.write("\n")
    print(f"wrote {os.path.relpath(path)}: {len(TEXT)} characters, {len(fixture['tokens'])} tokens")
