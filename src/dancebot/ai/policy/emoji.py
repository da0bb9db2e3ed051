"""Counting emoji as a reader sees them, without a Unicode emoji database.

Python's ``unicodedata`` has no Extended_Pictographic property, so its ranges (Unicode 15
``emoji-data.txt``) are listed here. One emoji is one pictographic code point together with
what attaches to it: variation selectors, skin tones, tag characters and ZWJ-joined
partners (👩‍💻 is one). A pair of regional indicators (a flag) and a keycap (1️⃣) are one
each. Symbols that display as text unless followed by U+FE0F (©, ™, ↔, ▶, ⬅ …) count only
with it. Letters (Cyrillic too), digits, ₽, •, – and … are never emoji.
"""

from __future__ import annotations

from bisect import bisect_right

_PICTOGRAPHIC: tuple[tuple[int, int], ...] = (
    (0x00A9, 0x00A9), (0x00AE, 0x00AE), (0x203C, 0x203C), (0x2049, 0x2049),
    (0x2122, 0x2122), (0x2139, 0x2139), (0x2194, 0x2199), (0x21A9, 0x21AA),
    (0x231A, 0x231B), (0x2328, 0x2328), (0x2388, 0x2388), (0x23CF, 0x23CF),
    (0x23E9, 0x23F3), (0x23F8, 0x23FA), (0x24C2, 0x24C2), (0x25AA, 0x25AB),
    (0x25B6, 0x25B6), (0x25C0, 0x25C0), (0x25FB, 0x25FE), (0x2600, 0x2605),
    (0x2607, 0x2612), (0x2614, 0x2685), (0x2690, 0x2705), (0x2708, 0x2712),
    (0x2714, 0x2714), (0x2716, 0x2716), (0x271D, 0x271D), (0x2721, 0x2721),
    (0x2728, 0x2728), (0x2733, 0x2734), (0x2744, 0x2744), (0x2747, 0x2747),
    (0x274C, 0x274C), (0x274E, 0x274E), (0x2753, 0x2755), (0x2757, 0x2757),
    (0x2763, 0x2767), (0x2795, 0x2797), (0x27A1, 0x27A1), (0x27B0, 0x27B0),
    (0x27BF, 0x27BF), (0x2934, 0x2935), (0x2B05, 0x2B07), (0x2B1B, 0x2B1C),
    (0x2B50, 0x2B50), (0x2B55, 0x2B55), (0x3030, 0x3030), (0x303D, 0x303D),
    (0x3297, 0x3297), (0x3299, 0x3299), (0x1F000, 0x1F0FF), (0x1F10D, 0x1F10F),
    (0x1F12F, 0x1F12F), (0x1F16C, 0x1F171), (0x1F17E, 0x1F17F), (0x1F18E, 0x1F18E),
    (0x1F191, 0x1F19A), (0x1F1AD, 0x1F1E5), (0x1F201, 0x1F20F), (0x1F21A, 0x1F21A),
    (0x1F22F, 0x1F22F), (0x1F232, 0x1F23A), (0x1F23C, 0x1F23F), (0x1F249, 0x1F3FA),
    (0x1F400, 0x1F53D), (0x1F546, 0x1F64F), (0x1F680, 0x1F6FF), (0x1F774, 0x1F77F),
    (0x1F7D5, 0x1F7FF), (0x1F80C, 0x1F80F), (0x1F848, 0x1F84F), (0x1F85A, 0x1F85F),
    (0x1F888, 0x1F88F), (0x1F8AE, 0x1F8FF), (0x1F90C, 0x1F93A), (0x1F93C, 0x1F945),
    (0x1F947, 0x1FAFF), (0x1FC00, 0x1FFFD),
)  # fmt: skip
_STARTS = [start for start, _ in _PICTOGRAPHIC]

# Pictographic, but shown as plain text unless U+FE0F asks for the emoji form.
_TEXT_DEFAULT: tuple[tuple[int, int], ...] = (
    (0x00A9, 0x00AE), (0x203C, 0x2139), (0x2194, 0x21AA), (0x2328, 0x2328),
    (0x2388, 0x2388), (0x23CF, 0x23CF), (0x24C2, 0x24C2), (0x25AA, 0x25C0),
    (0x25FB, 0x25FC), (0x2934, 0x2935), (0x2B05, 0x2B07), (0x3030, 0x303D),
    (0x3297, 0x3299),
)  # fmt: skip

VS15, VS16, ZWJ, KEYCAP = 0xFE0E, 0xFE0F, 0x200D, 0x20E3
_SKIN_TONES = range(0x1F3FB, 0x1F400)
_TAGS = range(0xE0020, 0xE0080)
_REGIONAL = range(0x1F1E6, 0x1F200)


def is_pictographic(code: int) -> bool:
    index = bisect_right(_STARTS, code) - 1
    return index >= 0 and code <= _PICTOGRAPHIC[index][1]


def _text_default(code: int) -> bool:
    return any(start <= code <= end for start, end in _TEXT_DEFAULT)


def count_emoji(text: str) -> int:
    """How many emoji ``text`` shows (see the module docstring for what counts)."""
    codes = [ord(ch) for ch in text]
    count, i = 0, 0
    while i < len(codes):
        code = codes[i]
        following = codes[i + 1] if i + 1 < len(codes) else None
        if code in _REGIONAL and following in _REGIONAL:
            count, i = count + 1, i + 2
        elif code == KEYCAP:
            count, i = count + 1, i + 1  # its base (a digit, # or *) was not counted
        elif is_pictographic(code) and _shown_as_emoji(code, following):
            count, i = count + 1, _cluster_end(codes, i + 1)
        else:
            i += 1
    return count


def _shown_as_emoji(code: int, following: int | None) -> bool:
    if following == VS16:
        return True
    if following == VS15:
        return False
    return not _text_default(code)


def _cluster_end(codes: list[int], i: int) -> int:
    """The index after what attaches to an emoji starting before ``i``."""
    while i < len(codes):
        code = codes[i]
        if code in (VS15, VS16) or code in _SKIN_TONES or code in _TAGS:
            i += 1
        elif code == ZWJ and i + 1 < len(codes):
            i += 2  # the joined partner is part of the same emoji
        else:
            break
    return i
