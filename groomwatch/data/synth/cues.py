"""Grooming cues counted per message: how the generator's class priors are set and checked.

Real offender logs differ from real look-alike chat less in vocabulary than in how often some
behaviours come up: asking the age, testing whether a parent is near, asking for secrecy or a
private channel, photos, compliments on looks or maturity, gifts, meeting. Each cue is a
regular expression per language over lower-cased text; ``cue_rates`` gives the share of
messages showing each cue, the figure the dataset card sets beside the same rates measured on
the real corpora (``REAL_RATES``). The patterns are coarse on purpose: they measure priors, they
are not a detector.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from functools import cache

from groomwatch.data.record import Conversation

CUES = (
    "age",
    "school",
    "alone",
    "location",
    "secrecy",
    "private",
    "photo",
    "looks",
    "gift",
    "meet",
)

#: English patterns, searched in lower-cased text
_EN = {
    "age": r"how old|\basl\b|\bage\b|\bages\b|years? old|\by/?o\b|what grade|what year are",
    "school": r"\bschool|\bgrade\b|\bteacher|\bclass(es)?\b|homework|\bsummer break",
    "alone": r"\balone\b|by ur ?self|by your ?self|\bparents?\b|\bmom\b|\bmum\b|\bdad\b|"
    r"\bur mom|who(?:'s| is) home|anyone home|\bhome alone",
    "location": r"where (do )?(u|you) live|where (r|are) (u|you) from|\bwhat (city|town|state)\b|"
    r"\bhow far\b|\bnear (u|you|me)\b|\bwhere( r| are)? (u|you) at\b|\bzip\b|\baddress\b",
    "secrecy": r"\bsecret|don'?t tell|dont tell|nobody (has to |needs to )?know|"
    r"no ?one (has to |needs to )?know|\bdelete\b|between (us|u and me|you and me)|"
    r"\bin trouble\b|\bjail\b|\bcops?\b",
    "private": r"\bphone\b|\bnumber\b|\bcell\b|\bcall (u|you|me)\b|\btext (u|you|me)\b|"
    r"\byahoo\b|\bmsn\b|\baim\b|\bmyspace\b|\bemail\b|\bsnap(chat)?\b|\bwhatsapp\b|\bkik\b|"
    r"\bdiscord\b|\bdm\b|\bprivate\b",
    "photo": r"\bpics?\b|\bpix\b|\bpicture|\bphotos?\b|\bcam\b|\bwebcam|\bvideo\b|\bselfie",
    "looks": r"\bcute\b|\bpretty\b(?! (good|much|sure|well|cool|bad|fun|busy|nice|hard|easy|"
    r"interesting|awesome|great|funny|tired|big|fast|long|close|similar|different|normal|old))|\bbeautiful\b|\bhot\b|\bsexy\b|\bgorgeous\b|\bmature\b|"
    r"\bgrown up\b|\bolder than\b|\blook(s|ing)? (good|nice|older)\b",
    "gift": r"\bgifts?\b|\bpresent\b|\bbuy (u|you)\b|\bget (u|you) (a|some|something)\b|"
    r"\bgift ?card\b|\bi'?ll pay\b",
    "meet": r"\bmeet\b|\bmeeting\b|\bcome over\b|\bpick (u|you) up\b|\bdrive (to|over|up)\b|"
    r"\bhang ?out\b|\bsee (u|you) in person\b|\bin person\b|\bcome (see|get) (u|you)\b",
}

#: The same cues in the other five languages, written for how each is typed in chat (informal
#: forms, common abbreviations and app names); a reader of the language can check each line
_DE = {
    "age": r"wie alt|\balter\b|\bjahre alt|\bjährig|\bwelche klasse\b|\basl\b",
    "school": r"\bschule|\bklasse\b|\blehrer|\bhausaufgaben|\bhausi\b|\bferien\b",
    "alone": r"\ballein\b|\beltern\b|\bmama\b|\bmutter\b|\bpapa\b|\bvater\b|"
    r"wer ist (zu ?hause|da)|jemand (zu ?hause|da)",
    "location": r"wo wohnst|wo kommst du her|\bwelche(r)? stadt\b|wie weit|\bin der nähe\b|"
    r"\badresse\b|\bwo bist du\b",
    "secrecy": r"\bgeheim|\bunter uns\b|erzähl(s)? (es )?(niemandem|keinem)|sag (es )?niemandem|"
    r"niemand (muss|darf) (es |das )?wissen|\blösch|\bärger\b|\bpolizei\b|\bknast\b",
    "private": r"\bhandy|\bnummer\b|\banrufen\b|\bruf (dich|mich) an\b|\bschreib (mir|dir)\b|"
    r"\bsnap(chat)?\b|\bwhatsapp\b|\bkik\b|\bdiscord\b|\btelegram\b|\bprivat",
    "photo": r"\bbild(er)?\b|\bfotos?\b|\bpics?\b|\bcam\b|\bwebcam|\bkamera\b|\bvideo\b|\bselfie",
    "looks": r"\bhübsch|\bschön\b|\bsüß|\bsüss|\bsüße\b|\bheiß\b|\bniedlich|\breif\b|\berwachsen|"
    r"\bälter aus\b|\bsiehst .*(gut|älter)",
    "gift": r"\bgeschenk|\bkauf(e)? dir\b|\bdir .*kaufen\b|\bgutschein|\bich (be)?zahl|"
    r"\bgeht auf mich\b|\bich (besorg|schenk|spendier)",
    "meet": r"\btreffen\b|\btreff(en)? uns\b|\bvorbeikommen\b|\babholen\b|\bhol dich ab\b|"
    r"\bin echt\b|\bpersönlich\b|\bbesuchen\b",
}
_ES = {
    "age": r"cuántos años|cuantos años|\bedad\b|\baños tienes\b|\bqué curso\b|\basl\b",
    "school": r"\bcole(gio)?\b|\binsti(tuto)?\b|\bclase\b|\bprofe(sor|sora)?\b|\bdeberes\b|"
    r"\bcurso\b|\bvacaciones\b",
    "alone": r"\bsol[oa]\b|\bpadres\b|\bmamá\b|\bmama\b|\bmadre\b|\bpapá\b|\bpadre\b|"
    r"quién está en casa|alguien en casa",
    "location": r"dónde vives|donde vives|de dónde eres|de donde eres|\bqué ciudad\b|"
    r"\bqué tan lejos\b|\bcerca de (ti|mí)\b|\bdirección\b|\bdónde estás\b",
    "secrecy": r"\bsecreto|\bentre nosotros\b|no (se lo )?digas|nadie (tiene que|debe) saber|"
    r"\bborra|\blío\b|\bproblemas\b|\bpolicía\b|\bcárcel\b",
    "private": r"\bmóvil\b|\bmovil\b|\bcelular\b|\bnúmero\b|\bnumero\b|\bllam(a|o|ar)\b|"
    r"\bsnap(chat)?\b|\bwhatsapp\b|\bwhats\b|\bkik\b|\bdiscord\b|\btelegram\b|\bprivad",
    "photo": r"\bfotos?\b|\bfotitos?\b|\bimagen\b|\bcámara\b|\bcam\b|\bwebcam|\bvídeo\b|"
    r"\bvideo\b|\bselfie",
    "looks": r"\bguap[oa]|\bprecios[oa]|\bmon[oa]\b|\blind[oa]\b|\bbonit[oa]\b|\bmadur[oa]|"
    r"\bmayor\b|\bpareces .*(mayor|bien)",
    "gift": r"\bregalo|\bte (compro|compre|compraré|podría comprar)\b|\bcomprarte\b|"
    r"\btarjeta regalo\b|\byo (te )?pago\b",
    "meet": r"\bquedar\b|\bquedamos\b|\bvernos\b|\ben persona\b|\brecoger|\bpaso a por ti\b|"
    r"\bvenir a verte\b|\ben la vida real\b",
}
_FR = {
    "age": r"quel âge|quel age|\bâge\b|\bans\b|\bquelle classe\b|\basv\b|\basl\b",
    "school": r"\bécole|\bcollège|\bcollege\b|\blycée|\bclasse\b|\bprof\b|\bdevoirs\b|"
    r"\bvacances\b",
    "alone": r"\bseule?\b|\bparents\b|\bmaman\b|\bmère\b|\bpapa\b|\bpère\b|"
    r"qui est (à la maison|chez toi)|quelqu'un (à la maison|chez toi)",
    "location": r"t'habites où|tu habites où|où tu habites|tu viens d'où|\bquelle ville\b|"
    r"\bloin\b|\bprès de (toi|chez)|\badresse\b|t'es où",
    "secrecy": r"\bsecret|\bentre nous\b|(le )?dis (rien|à personne)|personne (doit|a besoin de) "
    r"savoir|\befface|\bsupprime|\bdes problèmes\b|\bennuis\b|\bpolice\b|\bflics?\b|\bprison\b",
    # "ma mère m'appelle" (is calling me away) is no private channel; "appelle-moi" is
    "private": r"\bportable\b|\btéléphone\b|\btel\b|\bnuméro\b|\bnumero\b|\bappelle-moi\b|"
    r"\bt'appel(le|er)\b|\bm'appeler\b|\bappel vidéo\b|"
    r"\bsnap(chat)?\b|\bwhatsapp\b|\bkik\b|\bdiscord\b|\btelegram\b|\bpriv[ée]",
    "photo": r"\bphotos?\b|\bimage\b|\bpics?\b|\bcam\b|\bwebcam|\bcaméra\b|\bvidéo\b|\bselfie",
    # "beau-père" (stepfather) is no compliment
    "looks": r"\bbelle\b|\bbeau\b(?!-)|\bjolie?\b|\bmignonn?e?\b|\bcanon\b|\bmature\b|"
    r"\bmagnifique\b|\bparfaite?\b|\bplus âgée?\b|\bgrande? pour\b|\bdéjà grande?\b|"
    r"\bfais plus (vieux|vieille|âgée?)\b|\bplus raisonnable\b",
    "gift": r"\bcadeau|\bt'acheter\b|\bje t'(achète|offre)\b|\bcarte cadeau\b|\bje (te )?paie\b",
    # "chez moi" alone is where one is, "en vrai" alone means "honestly"
    "meet": r"\bse voir\b|\bon se voit\b|\bse retrouver\b|\brencontrer\b|\bvoir en vrai\b|"
    r"\bvenir te chercher\b|\bpasser te prendre\b|\b(viens|venir|passe|passer) chez moi\b",
}
_NL = {
    "age": r"hoe oud|\bleeftijd\b|\bjaar oud\b|\bwelke klas\b|\basl\b",
    "school": r"\bschool|\bklas\b|\bleraar|\bjuf\b|\bmeester\b|\bhuiswerk\b|\bvakantie\b",
    "alone": r"\balleen\b|\bouders\b|\bmama\b|\bmoeder\b|\bpapa\b|\bvader\b|"
    r"wie is (er )?thuis|iemand thuis",
    "location": r"waar woon|waar kom je vandaan|\bwelke stad\b|hoe ver|\bin de buurt\b|"
    r"\badres\b|waar ben je\b",
    "secrecy": r"\bgeheim|\btussen ons\b|vertel (het )?(niemand|niks)|niemand hoeft (het |dit )?te "
    r"weten|\bverwijder|\bwis\b|\bproblemen\b|\bpolitie\b|\bgevangenis\b|\bbajes\b",
    "private": r"\btelefoon|\bmobiel\b|\bnummer\b|\bbellen\b|\bbel (je|me)\b|\bapp (me|je)\b|"
    # Dutch "snap" is "understand" ("ik snap het"): only the app's full name counts
    r"\bsnapchat\b|\bwhatsapp\b|\bkik\b|\bdiscord\b|\btelegram\b|\bprivé\b",
    "photo": r"\bfoto'?s?\b|\bplaatje|\bpics?\b|\bcam\b|\bwebcam|\bcamera\b|\bvideo\b|\bselfie",
    "looks": r"\bmooi\b|\bknap\b|\bschattig|\bleuk uit\b|\blief\b|\bvolwassen|\bouder uit\b|"
    r"\bziet er .*(goed|ouder)",
    "gift": r"\bcadeau|\bvoor je kopen\b|\bkoop (ik )?(je|voor je)\b|\bcadeaubon|\bik betaal\b",
    "meet": r"\bafspreken\b|\bafspraak\b|\bontmoeten\b|\bophalen\b|\bhaal je op\b|\bin het echt\b|"
    r"\blangskomen\b|\bzien we elkaar\b",
}
_PL = {
    "age": r"ile masz lat|\bwiek\b|\blat\b|\bktóra klasa\b|\bw której klasie\b|\basl\b",
    "school": r"\bszkoł|\bszkole\b|\bklas(a|ie|y)\b|\bnauczyciel|\bpani od\b|\blekcje\b|"
    r"\bzadanie domowe\b|\bwakacje\b|\bferie\b",
    "alone": r"\bsam[a]?\b|\brodzice\b|\bmama\b|\bmamą\b|\bmatka\b|\btata\b|\bojciec\b|"
    r"kto jest w domu|ktoś w domu",
    "location": r"gdzie mieszkasz|skąd jesteś|skad jestes|\bw jakim mieście\b|\bjak daleko\b|"
    r"\bblisko (ciebie|mnie)\b|\badres\b|gdzie jesteś",
    "secrecy": r"\btajemnic|\bsekret|\bmiędzy nami\b|nie mów (nikomu|nic)|nikt nie (musi|może) "
    r"wiedzieć|\busuń|\bkłopoty\b|\bpolicj|\bwięzieni",
    "private": r"\btelefon|\bnumer\b|\bzadzwo|\bpisz do mnie\b|\bsnap(chat)?\b|\bwhatsapp\b|"
    r"\bmessenger\b|\bkik\b|\bdiscord\b|\btelegram\b|\bprywat",
    "photo": r"\bzdjęci|\bzdjec|\bfotk|\bfoto\b|\bpics?\b|\bkamer(k|c)|\bcam\b|\bwebcam|\bwideo\b|"
    r"\bselfie",
    "looks": r"\bładn|\bpiękn|\bśliczn|\bsłodk|\bgorąc|\bdojrzał|\bstarsz[ay] niż\b|"
    r"\bwyglądasz .*(dobrze|starzej)",
    "gift": r"\bprezent|\bkupi(ć|ę) ci\b|\bci kupi|\bkupił(a|bym)? ci\b|\bkarta podarunkowa\b|"
    r"\bzapłacę\b|\bja (płacę|stawiam)\b|\bzałatwię ci\b|\bdoład",
    "meet": r"\bspotka|\bspotkanie\b|\bodbior|\bodbiorę cię\b|\bodebrać\b|\bna żywo\b|"
    r"\bprzyjadę\b|\bprzyjechać\b|\bzobaczyć się\b",
}

PATTERNS: dict[str, dict[str, str]] = {
    "en": _EN, "de": _DE, "es": _ES, "fr": _FR, "nl": _NL, "pl": _PL,
}


@cache
def _compiled(language: str) -> tuple[tuple[str, re.Pattern[str]], ...]:
    patterns = PATTERNS.get(language) or PATTERNS["en"]
    return tuple((cue, re.compile(patterns[cue])) for cue in CUES)


def message_cues(text: str, language: str = "en") -> set[str]:
    """The cues one message shows."""
    lower = text.lower()
    return {cue for cue, pattern in _compiled(language) if pattern.search(lower)}


def cue_rates(texts: Iterable[str], language: str = "en") -> dict[str, float]:
    """Share of ``texts`` showing each cue (all zero for no texts)."""
    counts = dict.fromkeys(CUES, 0)
    total = 0
    compiled = _compiled(language)
    for text in texts:
        total += 1
        lower = text.lower()
        for cue, pattern in compiled:
            if pattern.search(lower):
                counts[cue] += 1
    return {cue: counts[cue] / total if total else 0.0 for cue in CUES}


def conversation_cue_rates(
    conversations: Sequence[Conversation], label: int, language: str
) -> dict[str, float]:
    """Per-message cue rates over every message of the conversations of one label and language."""
    texts = (
        m.text
        for c in conversations
        if c.label == label and (c.language or "en") == language
        for m in c.messages
    )
    return cue_rates(texts, language)


#: Per-message cue rates measured with ``cue_rates`` on the real English corpora (rates only, no
#: text) on 2026-12-03: all 569,727 lines of the 525 Perverted-Justice offenders and the 537,376
#: lines of their decoys (``../shared/datasets/pj``, E. Koutli's 2023 cleaning), the 10,567 posts
#: of the NPS Chat rooms (Forsyth and Martell 2007) and the 258,145 messages of BYU Chit-Chat.
REAL_RATES: dict[str, dict[str, float]] = {
    "pj_offender": {
        "age": 0.0052,
        "school": 0.0060,
        "alone": 0.0126,
        "location": 0.0035,
        "secrecy": 0.0044,
        "private": 0.0150,
        "photo": 0.0138,
        "looks": 0.0160,
        "gift": 0.0009,
        "meet": 0.0116,
    },
    "pj_decoy": {
        "age": 0.0027,
        "school": 0.0057,
        "alone": 0.0158,
        "location": 0.0014,
        "secrecy": 0.0028,
        "private": 0.0115,
        "photo": 0.0076,
        "looks": 0.0070,
        "gift": 0.0003,
        "meet": 0.0049,
    },
    "nps": {
        "age": 0.0033,
        "school": 0.0014,
        "alone": 0.0024,
        "location": 0.0007,
        "secrecy": 0.0009,
        "private": 0.0059,
        "photo": 0.0054,
        "looks": 0.0066,
        "gift": 0.0003,
        "meet": 0.0009,
    },
    "chitchat": {
        "age": 0.0029,
        "school": 0.0328,
        "alone": 0.0098,
        "location": 0.0014,
        "secrecy": 0.0018,
        "private": 0.0056,
        "photo": 0.0039,
        "looks": 0.0131,
        "gift": 0.0007,
        "meet": 0.0042,
    },
}
