"""Handing one email to the Town's mail server by SMTP (the standard library's smtplib).

`MailServer.send` returns when the server accepted the message, or raises `MailRefused` with
the server's reason. A message's Message-ID is made from its outbox key, so the rare message
sent twice (see infrastructure/outbox_worker.py) is recognisably the same message."""

from __future__ import annotations

import smtplib
from email import policy
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from hashlib import sha256

from infrastructure.mail_templates import Rendered
from infrastructure.settings import Settings

TIMEOUT_SECONDS = 30
# Headers unfolded up to RFC 5322's 998 characters: the standard library's folding of a long
# non-ASCII subject drops the space between two encoded words ("accuséde réception").
UNFOLDED = policy.SMTP.clone(max_line_length=998)


class MailRefused(Exception):
    """The mail server could not be reached, or refused the message (the reason says which)."""


class MailServer:
    def __init__(self, settings: Settings) -> None:
        if settings.smtp_host is None or settings.smtp_from is None:
            raise ValueError("no mail server configured (CIVICDESK_SMTP_HOST, _FROM)")
        self.host, self.port = settings.smtp_host, settings.smtp_port
        self.sender = settings.smtp_from
        self.starttls = settings.smtp_starttls
        self.username = settings.smtp_username
        self.password_file = settings.smtp_password_file

    def message(self, key: str, to: str, rendered: Rendered) -> EmailMessage:
        message = EmailMessage(policy=UNFOLDED)
        message["From"], message["To"] = self.sender, to
        message["Subject"] = rendered.subject
        message["Date"] = formatdate(localtime=False)
        domain = self.sender.rsplit("@", 1)[-1].rstrip(">")
        message["Message-ID"] = make_msgid(sha256(key.encode()).hexdigest()[:32], domain)
        message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no out-of-office loops
        message.set_content(rendered.text)
        message.add_alternative(rendered.html, subtype="html")
        return message

    def send(self, message: EmailMessage) -> None:
        """Hand `message` over; raises MailRefused (nothing else) if it was not accepted."""
        try:
            with smtplib.SMTP(self.host, self.port, timeout=TIMEOUT_SECONDS) as smtp:
                if self.starttls:
                    smtp.starttls()
                if self.username is not None and self.password_file is not None:
                    smtp.login(self.username, self.password_file.read_text().strip())
                smtp.send_message(message)
        except smtplib.SMTPResponseException as error:
            text = error.smtp_error.decode(errors="replace") if isinstance(
                error.smtp_error, bytes) else str(error.smtp_error)
            raise MailRefused(f"the mail server answered {error.smtp_code}: {text}") from error
        except smtplib.SMTPRecipientsRefused as error:
            # The code only: the server's text repeats the address.
            code = next(iter(error.recipients.values()))[0]
            raise MailRefused(f"the mail server refused the recipient ({code})") from error
        except (TimeoutError, smtplib.SMTPException, OSError) as error:
            raise MailRefused(f"cannot reach the mail server {self.host}:{self.port}: "
                              f"{error}") from error
