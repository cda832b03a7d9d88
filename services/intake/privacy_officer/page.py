"""The export as a page a resident can read and print (Dutch, B1): ``…/export.html``.

The privacy officer saves or prints it and hands it to the resident. It extends the web kit's one
base template and its stylesheet, plus a small stylesheet of its own (``static/privacy.css``: text
tables, and the page as a document on paper). Codes read as words (``contracts/labels.py``, and
below for the few that only this page shows); an unknown code is shown as it is, never dropped.
"""

from __future__ import annotations

from typing import Any, Final

from fastapi.responses import HTMLResponse

from contracts.labels import (
    AGE_BAND_LABELS,
    AGREEMENT_LABELS,
    CHANNEL_LABELS,
    KIND_PREFERENCE_LABELS,
    LANGUAGE_LABELS,
    LIFE_DOMAIN_LABELS,
    PREFERRED_CHANNEL_RESIDENT_LABELS,
    QUESTION_STATUS_LABELS,
    STATEMENT_LABELS,
    SUPPORTER_KIND_LABELS,
)
from contracts.references import reference_of
from services.intake import web
from services.intake.privacy_officer.export import ResidentExport
from services.kit.settings import Settings
from services.kit.web.headers import NOINDEX, page

#: The messages notifications sends (its template names), as the resident would call them.
MESSAGE_LABELS: Final[dict[str, str]] = {
    "resident_waiting": "U staat op de wachtlijst",
    "resident_assigned": "Er is een cliëntondersteuner voor u",
    "resident_consultation": "Uw vraag wordt besproken in het overleg",
    "resident_experience_invitation": "Hoe ging het? (vraag naar uw ervaring)",
    "supporter_new_case": "Nieuwe vraag voor een cliëntondersteuner",
    "coordinator_consultation": "Uw vraag gaat naar het gezamenlijk overleg",
    "referral_status": "Nieuwe stand van uw vraag",
}
RECIPIENT_LABELS: Final[dict[str, str]] = {
    "resident": "U",
    "supporter": "Uw cliëntondersteuner",
    "coordinator": "De coördinator van het overleg",
    "partner": "De organisatie die u doorverwees",
    "municipality": "De gemeente",
    "council": "De adviesraad",
}
MESSAGE_CHANNEL_LABELS: Final[dict[str, str]] = {
    "email": "E-mail",
    "sms": "Sms",
    "webhook": "Bericht aan het computersysteem van de organisatie",
}
DELIVERY_STATUS_LABELS: Final[dict[str, str]] = {
    "sent": "Verstuurd",
    "sending": "Wordt verstuurd",
    "queued": "Wacht (wordt 's ochtends verstuurd)",
    "failed": "Niet gelukt",
    "skipped": "Niet verstuurd",
}
#: What the audit log recorded (``action``) and why (``purpose``).
AUDIT_ACTION_LABELS: Final[dict[str, str]] = {
    "contact.read": "Uw contactgegevens gelezen",
    "resident.lookup": "U opgezocht met uw e-mailadres of telefoonnummer",
    "resident.export": "Dit overzicht gemaakt",
    "resident.erase": "Uw gegevens verwijderd",
}
AUDIT_PURPOSE_LABELS: Final[dict[str, str]] = {
    "notification": "Om u of uw cliëntondersteuner een bericht te sturen",
    "support": "Om u te helpen",
    "access": "U vroeg welke gegevens wij bewaren",
    "rectification": "U vroeg om uw gegevens te verbeteren",
    "erasure": "U vroeg om uw gegevens te verwijderen",
    "restriction": "U vroeg om minder met uw gegevens te doen",
    "portability": "U vroeg om uw gegevens mee te nemen",
    "objection": "U maakte bezwaar",
    "retention": "De bewaartermijn was voorbij",
}
ACTOR_KIND_LABELS: Final[dict[str, str]] = {
    "internal": "Het Samenloket zelf",
    "api_key": "Een medewerker of organisatie met toegang",
    "staff": "Een medewerker van het loket",
}
YES_NO: Final[dict[bool, str]] = {True: "Ja", False: "Nee"}


def label(labels: dict[str, str], code: str | None, empty: str = "") -> str:
    """A code as words; an unknown code as it is; ``empty`` for none."""
    if code is None:
        return empty
    return labels.get(code, code)


LABELS: Final[dict[str, dict[str, str]]] = {
    "age_band": AGE_BAND_LABELS,
    "agreement": AGREEMENT_LABELS,
    "channel": CHANNEL_LABELS,
    "kind_preference": KIND_PREFERENCE_LABELS,
    "language": LANGUAGE_LABELS,
    "life_domain": LIFE_DOMAIN_LABELS,
    "preferred_channel": PREFERRED_CHANNEL_RESIDENT_LABELS,
    "status": QUESTION_STATUS_LABELS,
    "statement": STATEMENT_LABELS,
    "supporter_kind": SUPPORTER_KIND_LABELS,
    "message": MESSAGE_LABELS,
    "recipient": RECIPIENT_LABELS,
    "message_channel": MESSAGE_CHANNEL_LABELS,
    "delivery_status": DELIVERY_STATUS_LABELS,
    "audit_action": AUDIT_ACTION_LABELS,
    "audit_purpose": AUDIT_PURPOSE_LABELS,
    "actor_kind": ACTOR_KIND_LABELS,
}


def _loket(settings: Settings) -> dict[str, str]:
    """The loket's name, phone and e-mail (settings ``loket_*``; phone and e-mail empty when not set)."""
    return {"name": settings.loket_name, "phone": settings.loket_phone, "email": settings.loket_email}


def render(export: ResidentExport, settings: Settings) -> HTMLResponse:
    references = {q.question_id: q.reference for q in export.questions}
    context: dict[str, Any] = {
        "title": "Uw gegevens bij het Samenloket",
        "export": export,
        "reference_of": lambda question_id: reference_of(question_id, references.get(question_id)),
        "labels": LABELS,
        "label": label,
        "yes_no": YES_NO,
        "loket": _loket(settings),
    }
    html = web.environment().get_template("privacy_export.html").render(**context)
    return page(html, headers=NOINDEX)
