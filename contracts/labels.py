"""What people read for a code: the Dutch label (B1) of every code list, written once.

The code lists themselves are in :mod:`contracts.codes` and :mod:`contracts.events`; each section
here names the list it labels, and ``tests/unit/test_contract_labels.py`` fails when a code has no
label. Events carry codes only: nothing here is part of an event schema.

A code list may be read in more than one way; then the forms stand side by side, by name:

- ``*_LABELS``: on its own, capitalised: a table heading, a list item, a form choice
  ("Vrijwilliger");
- ``*_WORDS``: in the middle of a sentence ("De inwoner koos voor een vrijwilliger."), made from
  the labels by :func:`in_sentence`, so the two cannot drift apart;
- ``*_RESIDENT_LABELS``: in the resident's own words, as the resident forms ask it ("Moeilijk te
  bereiken" where staff read "Bereikbaarheid").

Decline and end reasons are whole sentences: they are the standard ``Reason.text`` of their code.
"""

from __future__ import annotations

from typing import Final


def in_sentence(label: str) -> str:
    """``label`` as it reads inside a sentence: its first letter in lower case ("Hulp en zorg thuis (Wmo)" →
    "hulp en zorg thuis (Wmo)")."""
    return label[:1].lower() + label[1:]


def _words(labels: dict[str, str]) -> dict[str, str]:
    return {code: in_sentence(label) for code, label in labels.items()}


# --- questions (contracts.codes) ------------------------------------------------------------------

#: Life domains (``LifeDomain``).
LIFE_DOMAIN_LABELS: Final[dict[str, str]] = {
    "wmo": "Hulp en zorg thuis (Wmo)",
    "youth": "Opvoeden en jeugdhulp",
    "participation": "Werk en inkomen",
    "debts": "Geldzorgen en schulden",
    "housing": "Wonen",
    "education": "School en onderwijs",
    "health": "Gezondheid",
    "wlz": "Langdurige zorg (Wlz)",
}

#: Age bands (``AgeBand``): self-declared, never a birth date.
AGE_BAND_LABELS: Final[dict[str, str]] = {
    "under_18": "Jonger dan 18 jaar",
    "18_26": "18 tot en met 26 jaar",
    "27_44": "27 tot en met 44 jaar",
    "45_64": "45 tot en met 64 jaar",
    "65_74": "65 tot en met 74 jaar",
    "75_plus": "75 jaar of ouder",
}

#: Supporter kinds (``SupporterKind``).
SUPPORTER_KIND_LABELS: Final[dict[str, str]] = {
    "professional": "Beroepskracht",
    "volunteer": "Vrijwilliger",
    "experience_expert": "Ervaringsdeskundige",
}
SUPPORTER_KIND_WORDS: Final[dict[str, str]] = _words(SUPPORTER_KIND_LABELS)

#: The resident's preferred supporter kind (``KindPreference``): a kind, or no preference.
KIND_PREFERENCE_LABELS: Final[dict[str, str]] = {**SUPPORTER_KIND_LABELS, "any": "Geen voorkeur"}
KIND_PREFERENCE_WORDS: Final[dict[str, str]] = _words(KIND_PREFERENCE_LABELS)

#: How a question came in (``Channel``).
CHANNEL_LABELS: Final[dict[str, str]] = {
    "web": "Website",
    "phone": "Telefoon",
    "walk_in": "Langs geweest",
    "partner": "Via een organisatie",
}

#: Languages (``LANGUAGES``): names of languages are capitalised in Dutch, in a sentence too.
LANGUAGE_LABELS: Final[dict[str, str]] = {
    "nl": "Nederlands",
    "en": "Engels",
    "ar": "Arabisch",
    "tr": "Turks",
    "pl": "Pools",
    "ber": "Berbers (Tamazight)",
    "ti": "Tigrinya",
    "uk": "Oekraïens",
    "so": "Somalisch",
    "fa": "Perzisch (Farsi)",
    "de": "Duits",
    "fr": "Frans",
    "es": "Spaans",
    "pap": "Papiaments",
    "ngt": "Nederlandse Gebarentaal",
}

#: How the resident found the loket (``FoundVia``).
FOUND_VIA_LABELS: Final[dict[str, str]] = {
    "wijkteam": "Sociaal wijkteam",
    "huisarts": "Huisarts",
    "school": "School of kinderopvang",
    "website": "Website of internet",
    "family_friends": "Familie, vrienden of buren",
    "media": "Krant, radio, tv of sociale media",
    "partner": "Een andere organisatie",
    "other": "Anders",
}

#: Where or how the resident wants to meet (``MeetingPreference``); only the resident form asks it.
MEETING_PREFERENCE_RESIDENT_LABELS: Final[dict[str, str]] = {
    "home": "Bij mij thuis",
    "phone": "Aan de telefoon",
    "video": "Met beeldbellen (video)",
    "office": "Op een kantoor in de buurt",
    "no_preference": "Geen voorkeur",
}

#: The same meeting preference as staff and supporters read it (a mail, the case page).
MEETING_PREFERENCE_LABELS: Final[dict[str, str]] = {
    "home": "Bij de inwoner thuis",
    "phone": "Aan de telefoon",
    "video": "Beeldbellen (video)",
    "office": "Op een kantoor in de buurt",
    "no_preference": "Geen voorkeur",
}

#: How the resident wants to hear from us (``PreferredChannel``); only the resident form asks it.
PREFERRED_CHANNEL_RESIDENT_LABELS: Final[dict[str, str]] = {
    "email": "Per e-mail",
    "sms": "Per sms",
    "none": "Liever geen berichten",
}

#: Where a question stands (``QuestionStatus``).
QUESTION_STATUS_LABELS: Final[dict[str, str]] = {
    "received": "Ontvangen",
    "waiting": "Op de wachtlijst",
    "consultation": "In gezamenlijk overleg",
    "assigned": "Ondersteuner gekoppeld",
    "accepted": "Ondersteuning gestart",
    "closed": "Afgerond",
    "withdrawn": "Ingetrokken",
}

# --- assignments (reason codes of AssignmentDeclined and SupportEnded) ----------------------------

#: Why a supporter or resident declines an assignment: the standard ``Reason.text`` of each code.
DECLINE_REASON_TEXTS: Final[dict[str, str]] = {
    "no_time": "De ondersteuner heeft nu geen tijd voor deze vraag.",
    "expertise": "De ondersteuner heeft niet de juiste kennis voor deze vraag.",
    "conflict_of_interest": "De ondersteuner kent de inwoner al of is in deze situatie niet onafhankelijk.",
    "no_click": "De inwoner en de ondersteuner passen niet goed bij elkaar.",
    "resident_preference": "De inwoner wil liever een andere ondersteuner.",
    "language": "De inwoner en de ondersteuner spreken geen gemeenschappelijke taal.",
    "distance": "De afstand tussen de inwoner en de ondersteuner is te groot.",
    "other": "Er is een andere reden.",
}

#: Why support ends: the standard ``Reason.text`` of each code.
END_REASON_TEXTS: Final[dict[str, str]] = {
    "completed": "De ondersteuning is klaar.",
    "resident_stopped": "De inwoner wil geen ondersteuning meer.",
    "moved": "De inwoner is verhuisd.",
    "transferred": "De vraag is overgedragen aan een andere organisatie.",
    "referred": "De inwoner is doorverwezen naar een zorgaanbieder of hulpverlener.",
    "unreachable": "De ondersteuner kon de inwoner niet bereiken.",
    "other": "De ondersteuning is om een andere reden gestopt.",
}

#: Decline reasons in a few words, for table headings (the whole sentences are above).
DECLINE_REASON_LABELS: Final[dict[str, str]] = {
    "no_time": "Geen tijd",
    "expertise": "Geen passende kennis",
    "conflict_of_interest": "Niet onafhankelijk",
    "no_click": "Geen klik",
    "resident_preference": "Inwoner wil een ander",
    "language": "Taal",
    "distance": "Afstand",
    "other": "Andere reden",
}

#: End reasons in a few words, for table headings (the whole sentences are above).
END_REASON_LABELS: Final[dict[str, str]] = {
    "completed": "Klaar",
    "resident_stopped": "Inwoner gestopt",
    "moved": "Verhuisd",
    "transferred": "Overgedragen",
    "referred": "Doorverwezen",
    "unreachable": "Niet bereikbaar",
    "other": "Andere reden",
}

#: The decline reasons a supporter chooses from on their own pages, in their own words (a subset).
DECLINE_REASON_SUPPORTER_LABELS: Final[dict[str, str]] = {
    "no_time": "Ik heb nu geen ruimte",
    "expertise": "Ik heb niet de juiste kennis voor deze vraag",
    "conflict_of_interest": "Ik ken de inwoner al, of ik ben hier niet onafhankelijk",
    "other": "Een andere reden",
}
#: How support ended, as a supporter chooses it on their own pages (a subset; "transferred" is the coordinator's).
END_REASON_SUPPORTER_LABELS: Final[dict[str, str]] = {
    "completed": "Het doel is bereikt",
    "referred": "De inwoner is doorverwezen naar een zorgaanbieder of hulpverlener",
    "resident_stopped": "De inwoner wil geen ondersteuning meer",
    "moved": "De inwoner is verhuisd",
    "unreachable": "Ik kan de inwoner niet bereiken",
    "other": "Een andere reden",
}

#: How a supporter made first contact (``ContactMethod``).
CONTACT_METHOD_LABELS: Final[dict[str, str]] = {
    "phone": "Telefoon",
    "visit": "Bezoek",
    "video": "Beeldbellen",
    "email": "E-mail",
}
CONTACT_METHOD_WORDS: Final[dict[str, str]] = _words(CONTACT_METHOD_LABELS)

#: How late a first contact is (``OverdueStage``).
OVERDUE_STAGE_LABELS: Final[dict[str, str]] = {"reminder": "Herinnering", "escalation": "Te laat"}

# --- the question's end (QuestionWithdrawn, QuestionClosed) ---------------------------------------

#: Who withdrew a question (``WithdrawnBy``).
WITHDRAWN_BY_LABELS: Final[dict[str, str]] = {
    "resident": "De inwoner",
    "staff": "Het Samenloket",
    "partner": "De verwijzer",
    "erasure": "Gegevens gewist",
}
#: Why a question was withdrawn: the standard ``Reason.text`` of each code.
WITHDRAWAL_REASON_TEXTS: Final[dict[str, str]] = {
    "no_longer_needed": "De inwoner heeft geen hulp meer nodig.",
    "helped_elsewhere": "De inwoner krijgt al hulp van iemand anders.",
    "by_referrer": "De verwijzer heeft de vraag ingetrokken.",
    "erased": "De gegevens van de inwoner zijn gewist.",
    "other": "De vraag is om een andere reden ingetrokken.",
}

#: What a resident may choose on their own page when they withdraw (the other codes are not theirs).
WITHDRAWAL_REASON_RESIDENT_LABELS: Final[dict[str, str]] = {
    "no_longer_needed": "Ik heb geen hulp meer nodig",
    "helped_elsewhere": "Ik krijg al hulp van iemand anders",
    "other": "Een andere reden",
}
#: Why a question was closed: the standard ``Reason.text`` of each code (``QuestionClosed``); a question
#: closed because its last support ended carries that end's reason (``END_REASON_TEXTS``) instead.
CLOSE_REASON_TEXTS: Final[dict[str, str]] = {
    "closed_by_staff": "Het Samenloket heeft de vraag afgesloten.",
}

# --- what a resident needs (``Need``, QuestionReceived.needs) ---------------------------------------

#: What a resident may need, as staff and supporters read it.
NEED_LABELS: Final[dict[str, str]] = {
    "sign_language": "Gebarentaal",
    "easy_language": "Makkelijke taal (LVB)",
    "interpreter": "Tolk",
    "wheelchair_access": "Plek om af te spreken die met een rolstoel bereikbaar is",
}
NEED_WORDS: Final[dict[str, str]] = _words(NEED_LABELS)
#: What a resident may need, as the form asks it.
NEED_RESIDENT_LABELS: Final[dict[str, str]] = {
    "sign_language": "Ik gebruik gebarentaal",
    "easy_language": "Ik wil graag dat de ondersteuner makkelijke taal gebruikt",
    "interpreter": "Ik heb een tolk nodig",
    "wheelchair_access": "Ik heb een plek nodig die met een rolstoel bereikbaar is",
}

# --- supporters (codes of SupporterRegistered and QuestionReceived.needs) -------------------------

#: What a supporter knows much about: every life domain, plus target groups and skills.
SPECIALISM_LABELS: Final[dict[str, str]] = {
    **LIFE_DOMAIN_LABELS,
    "lvb": "Licht verstandelijke beperking (LVB)",
    "ggz": "Psychische problemen (ggz)",
    "nah": "Niet-aangeboren hersenletsel (NAH)",
    "autism": "Autisme",
    "dementia": "Dementie",
    "sign_language": "Gebarentaal",
    "elderly": "Ouderen",
    "newcomers": "Statushouders en nieuwkomers",
    "addiction": "Verslaving",
    "chronic_illness": "Chronische ziekte",
    "visual_impairment": "Slechtziend of blind",
    "hearing_impairment": "Slechthorend of doof",
    "domestic_violence": "Huiselijk geweld",
    "informal_care": "Mantelzorg",
}
SPECIALISM_WORDS: Final[dict[str, str]] = _words(SPECIALISM_LABELS)

#: What an experience expert went through themselves (a code shared with a specialism has its label).
EXPERIENCE_THEME_LABELS: Final[dict[str, str]] = {
    "parent_of_child_with_disability": "Ouder van een kind met een beperking",
    "youth_care": "Jeugdhulp",
    "debts": SPECIALISM_LABELS["debts"],
    "poverty": "Armoede",
    "mental_health": "Psychische problemen",
    "lvb": SPECIALISM_LABELS["lvb"],
    "autism": SPECIALISM_LABELS["autism"],
    "chronic_illness": SPECIALISM_LABELS["chronic_illness"],
    "disability": "Lichamelijke beperking",
    "informal_care": SPECIALISM_LABELS["informal_care"],
    "migration": "Migratie en inburgering",
    "addiction": SPECIALISM_LABELS["addiction"],
    "homelessness": "Dakloosheid",
    "unemployment": "Werkloosheid",
    "domestic_violence": SPECIALISM_LABELS["domestic_violence"],
}
EXPERIENCE_THEME_WORDS: Final[dict[str, str]] = _words(EXPERIENCE_THEME_LABELS)

# --- signals (contracts.events and contracts.codes) -----------------------------------------------

#: Signal themes (``SignalTheme``) as staff, councils and reports name them.
SIGNAL_THEME_LABELS: Final[dict[str, str]] = {
    "waiting_times": "Wachttijden",
    "rules_and_regulations": "Regels en wetten",
    "reachability": "Bereikbaarheid",
    "treatment": "Hoe mensen behandeld worden",
    "cooperation": "Samenwerking tussen organisaties",
    "other": "Anders",
}
#: The same themes as the resident's signal form asks them.
SIGNAL_THEME_RESIDENT_LABELS: Final[dict[str, str]] = {
    "waiting_times": "Lang wachten",
    "rules_and_regulations": "Regels en papierwerk",
    "reachability": "Moeilijk te bereiken",
    "treatment": "Hoe u werd behandeld",
    "cooperation": "Samenwerking",
    "other": "Iets anders",
}

#: Where a signal plays (``SignalLevel``).
SIGNAL_LEVEL_LABELS: Final[dict[str, str]] = {"local": "Lokaal", "regional": "Regionaal"}
SIGNAL_LEVEL_WORDS: Final[dict[str, str]] = _words(SIGNAL_LEVEL_LABELS)
SIGNAL_LEVEL_RESIDENT_LABELS: Final[dict[str, str]] = {"local": "In mijn gemeente", "regional": "In de hele regio"}

#: Who raised a signal (``SignalSource``).
SIGNAL_SOURCE_LABELS: Final[dict[str, str]] = {
    "resident": "Inwoner",
    "supporter": "Cliëntondersteuner",
    "council": "Lid van een adviesraad of cliëntenraad",
    "partner": "Medewerker van een organisatie",
    "staff": "Medewerker van het loket",
}

#: How far the municipality got with a signal (``SignalStatus``).
SIGNAL_STATUS_LABELS: Final[dict[str, str]] = {
    "raised": "Ontvangen",
    "acknowledged": "Gelezen",
    "answered": "Beantwoord",
}

# --- experiences (contracts.events.ExperienceStatements) -------------------------------------------

#: The client-survey statements, as the resident reads them (also their schema descriptions).
STATEMENT_LABELS: Final[dict[str, str]] = {
    "knew_where_to_go": "Ik wist waar ik terecht kon",
    "helped_quickly": "Ik werd snel geholpen",
    "supporter_on_my_side": "Mijn cliëntondersteuner stond aan mijn kant",
}

#: Answers to a statement (``Agreement``).
AGREEMENT_LABELS: Final[dict[str, str]] = {"agree": "Eens", "neutral": "Neutraal", "disagree": "Oneens"}

# --- advices (contracts.events.AdviceGiven, AdviceAnswered) ------------------------------------------

#: To whom a council gives an advice (``AdviceAddressee``).
ADVICE_ADDRESSEE_LABELS: Final[dict[str, str]] = {
    "college": "Het college van burgemeester en wethouders",
    "board": "Het bestuur van een organisatie",
}
#: What the addressee decided (``AdviceDecision``).
ADVICE_DECISION_LABELS: Final[dict[str, str]] = {
    "adopted": "Overgenomen",
    "partly_adopted": "Deels overgenomen",
    "not_adopted": "Niet overgenomen",
}

#: What a council invites panel members to (``PanelInvitationKind``).
PANEL_INVITATION_KIND_LABELS: Final[dict[str, str]] = {"meeting": "Een bijeenkomst", "poll": "Een korte vragenlijst"}
