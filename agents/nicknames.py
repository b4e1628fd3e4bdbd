"""First names and their short forms: "Greg" is Gregory, "Ray" Raymond, "Bill" William, so
a caller who introduces themself as Greg Nash keeps to a persona named Gregory Nash."""

from __future__ import annotations

# short forms that are no prefix of the name they stand for
_NICKNAMES = {
    "bill": "william",
    "will": "william",
    "bob": "robert",
    "rob": "robert",
    "bobby": "robert",
    "jim": "james",
    "jimmy": "james",
    "mike": "michael",
    "dave": "david",
    "liz": "elizabeth",
    "beth": "elizabeth",
    "kate": "katherine",
    "katie": "katherine",
    "peggy": "margaret",
    "maggie": "margaret",
    "dick": "richard",
    "rick": "richard",
    "ted": "edward",
    "ned": "edward",
    "jack": "john",
    "johnny": "john",
    "tony": "anthony",
    "sandy": "alexandra",
    "sue": "susan",
    "becky": "rebecca",
    "chuck": "charles",
    "charlie": "charles",
    "harry": "henry",
    "hank": "henry",
    "andy": "andrew",
    "drew": "andrew",
    "nick": "nicholas",
    "tom": "thomas",
    "pat": "patricia",
    "jen": "jennifer",
    "jenny": "jennifer",
    "meg": "margaret",
}


def short_for(short: str, name: str) -> bool:
    """ "Greg" of Gregory, "Ray" of Raymond, "Jim" of James: a first name's short form."""
    if len(short) >= 3 and len(name) > len(short) and name.startswith(short):
        return True
    return _NICKNAMES.get(short) == name
