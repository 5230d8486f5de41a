"""Function words per language, for the Gopher "has stop words" rule.

Gopher requires at least two of {the, be, to, of, and, that, have, with}: real English prose
always has them, keyword lists and tables rarely do. Applying that English list to a German or
Portuguese article rejects it for being in another language, so each language gets the same kind
of list: its most frequent function words. A language without a list skips the rule.
"""

from __future__ import annotations

STOP_WORDS: dict[str, frozenset[str]] = {
    lang: frozenset(words.split())
    for lang, words in {
        "en": "the be to of and that have with",
        "de": "der die das und ist zu den mit von nicht ein eine",
        "fr": "le la les de des et est un une que pour dans",
        "es": "el la los las de que y en un una es por",
        "pt": "o a os as de que e em um uma do da não",
        "it": "il la le di che e è un una per non del",
        "nl": "de het een en van is dat op te niet",
        "sv": "och att det som en är på för med av",
        "da": "og at det som en er på for med af",
        "no": "og å det som en er på for med av",
        "pl": "i w nie na się że z do to jest",
        "cs": "a v se na je že to s z do",
        "ru": "и в не на что с по он как это",
        "uk": "і в не на що з по та як це",
        "id": "yang dan di ini itu dengan untuk dari tidak ke",
        "ms": "yang dan di ini itu dengan untuk dari tidak ke",
        "tr": "ve bir bu da de için ile çok ne gibi",
        "ro": "și în de la cu nu că o un este",
        "hu": "a az és hogy nem is egy van meg",
        "fi": "ja on ei se että hän oli ole mutta",
        "ca": "el la els de que i en un una és per",
        "vi": "và của là có không được trong cho những một",
    }.items()
}
