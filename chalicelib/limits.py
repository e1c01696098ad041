"""The bounds on what a client or a booking system may send, in one place: how deep a JSON
body may nest, which instants a school can mean, how long an outside id may be. Anything
beyond them is refused as bad input (400, or a failed delivery), never a server error."""

from datetime import datetime

MAX_JSON_DEPTH = 32  # objects and arrays inside one another; real bodies use under 8
FIRST_YEAR, LAST_YEAR = 1970, 2200  # calendar arithmetic near year 1 or 9999 would overflow
MAX_OUTSIDE_ID = 200  # a booking system's booking, event type or delivery id


def json_too_deep(raw: bytes, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether a JSON text nests objects and arrays more than `limit` deep (read without
    parsing, so a hostile body cannot exhaust the parser's recursion)."""
    depth, in_string, escaped = 0, False, False
    for byte in raw:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:  # quote
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):  # [ {
            depth += 1
            if depth > limit:
                return True
        elif byte in (0x5D, 0x7D):  # ] }
            depth -= 1
    return False


def sane_instant(moment: datetime) -> bool:
    """An instant a school can mean: with an offset, between 1970 and 2200."""
    return moment.tzinfo is not None and moment.utcoffset() is not None and FIRST_YEAR <= moment.year <= LAST_YEAR
