"""Panel invitations (issue 16, "Ik wil meedenken"): a council invited a resident who opted in; we mail
(or text) them, reading their contact from intake like for every resident message. The council
never learns who was invited: only intake and this service know the address, and the delivery log.

Exactly once per invitation: the delivery key is made of the event id (``Notifier.deliver_cause``).
A resident without a channel (no address, or they chose no messages) is skipped; an erased one has
no contact any more (intake answers 404), so nothing is sent.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Final

from contracts.envelope import CloudEvent
from contracts.events import PanelMemberInvited
from contracts.labels import LIFE_DOMAIN_LABELS
from services.kit.dutch import dutch_date
from services.kit.links import link_token
from services.kit.messaging import PermanentError
from services.notifications.domain import preferred_channel, resident_delivery
from services.notifications.handlers import Notifier, Result

log = logging.getLogger(__name__)

TEMPLATE: Final = "resident_panel_invitation"
#: The same purpose as intake's poll links (services/intake/polls/domain.py LINK_PURPOSE).
POLL_LINK_PURPOSE: Final = "poll-invitation"


def poll_url(base: str, secret: str, invited: PanelMemberInvited) -> str:
    """The member's personal link to the poll: intake recomputes its token from the invitation id."""
    token = link_token(secret, POLL_LINK_PURPOSE, invited.invitation_id)
    return f"{base.rstrip('/')}/peiling/{invited.poll_id}/{invited.invitation_id}/{token}"


def invitation_context(invited: PanelMemberInvited, resident_name: str, url: str = "") -> dict[str, Any]:
    return {
        "poll_url": url,
        "resident_name": resident_name,
        "question_id": invited.question_id,
        "meeting_on": dutch_date(invited.meeting_on) if invited.meeting_on else "",
        "themes": [LIFE_DOMAIN_LABELS.get(d, d) for d in invited.life_domains],
        "kind": invited.kind,
    }


@dataclass
class PanelInvitations:
    notifier: Notifier
    #: Where residents open intake's pages (``public_url``, else ``intake_url``), and the shared link key.
    pages_url: str
    secret: str

    async def on_panel_member_invited(self, event: CloudEvent, payload: PanelMemberInvited) -> None:
        resident = await self.notifier.contacts.resident(payload.question_id)
        channel = preferred_channel(resident) if resident else None
        if resident is None or channel is None or (channel == "sms" and not self.notifier.sms_enabled):
            log.info("panel invitation skipped: no channel", extra={"invitation_id": payload.invitation_id})
            return
        url = poll_url(self.pages_url, self.secret, payload) if payload.kind == "poll" and payload.poll_id else ""
        planned = resident_delivery(resident, TEMPLATE, invitation_context(payload, resident.name, url))
        result = await self.notifier.deliver_cause(event.id, payload.question_id, planned)
        if result is Result.FAILED:
            raise PermanentError("the panel invitation failed permanently")
