"""The local mail sink keeps every mail as an ``.eml`` file and, read once, in an inbox the demo asks."""

from __future__ import annotations

from email.message import EmailMessage
from pathlib import Path
from types import SimpleNamespace

from services.local.mailsink import FolderHandler, Inbox


def invitation(to: str, link: str, message_id: str) -> bytes:
    """An invitation as notifications composes it: text, then HTML, with a stable Message-ID."""
    message = EmailMessage()
    message["To"] = to
    message["Subject"] = "Hoe was uw cliëntondersteuning? Vertel het ons"
    message["Message-ID"] = f"<{message_id}>"
    message.set_content(f"Beste inwoner,\n\nVertel het ons via deze link:\n{link}\n\nDe link werkt tot 1 juni.\n")
    message.add_alternative(f'<p><a href="{link}">Vertel hoe het ging</a></p>', subtype="html")
    return bytes(message)


def test_the_inbox_finds_the_link_in_the_newest_mail_to_an_address() -> None:
    inbox = Inbox()
    inbox.receive(invitation("a@example.nl", "http://intake.test/ervaring/old", "1@samenloket"))
    inbox.receive(invitation("b@example.nl", "http://intake.test/ervaring/other", "2@samenloket"))
    inbox.receive(invitation("a@example.nl", "http://intake.test/ervaring/new", "3@samenloket"))

    assert inbox.link("a@example.nl", "/ervaring/") == "http://intake.test/ervaring/new"
    assert inbox.link("b@example.nl", "/ervaring/") == "http://intake.test/ervaring/other"
    assert inbox.link("c@example.nl", "/ervaring/") is None, "nobody mailed c"
    assert inbox.link("a@example.nl", "/vraag/") is None, "no link of that kind"
    assert [m.message_id for m in inbox.to("a@example.nl")] == ["3@samenloket", "1@samenloket"]


def test_the_inbox_keeps_only_the_newest_mails() -> None:
    inbox = Inbox(size=2)
    for n in range(3):
        inbox.receive(invitation("a@example.nl", f"http://intake.test/ervaring/{n}", f"{n}@samenloket"))
    assert [m.message_id for m in inbox.to("a@example.nl")] == ["2@samenloket", "1@samenloket"]


async def test_every_received_mail_lands_in_the_folder_and_the_inbox(tmp_path: Path) -> None:
    inbox = Inbox()
    handler = FolderHandler(tmp_path / "mail", inbox)
    content = invitation("a@example.nl", "http://intake.test/ervaring/tok", "4@samenloket")
    answer = await handler.handle_DATA(None, None, SimpleNamespace(original_content=content, content=content))

    assert answer.startswith("250")
    [path] = sorted((tmp_path / "mail").glob("*.eml"))
    assert path.name.endswith("-4@samenloket.eml") and path.read_bytes() == content
    [mail] = inbox.to("a@example.nl")
    assert mail.subject.startswith("Hoe was uw") and mail.links == ("http://intake.test/ervaring/tok",)
