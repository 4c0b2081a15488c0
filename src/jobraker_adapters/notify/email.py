"""E-mail notifications over SMTP (``smtplib``), and the log sink used when no SMTP host is set.

``SmtpEmailNotifier`` opens one connection per message (notifications are few and a pooled
connection would time out between them), upgrades it with STARTTLS when configured, logs in when
a user is configured, and sends a plain-text message with a ``List-Unsubscribe`` header (and
``List-Unsubscribe-Post`` for one-click, RFC 8058). SMTP refusals with a 5xx code are permanent
(``UpstreamRejected``); everything else (connection errors, 4xx, a failed login) is
``UpstreamUnavailable`` and retried with back-off by the dispatcher.
"""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import TYPE_CHECKING, Final

import attrs

from jobraker_core.errors import UpstreamRejected, UpstreamUnavailable
from jobraker_core.notifications.model import Channel

if TYPE_CHECKING:
    from jobraker_core.notifications.model import OutgoingNotification, Recipient

SERVICE: Final = "smtp"
_PERMANENT: Final = 500


@attrs.frozen
class SmtpConfig:
    """Where and how to send: server, optional login, sender address, STARTTLS."""

    host: str
    port: int = 587
    user: str | None = None
    password: str | None = attrs.field(default=None, repr=False)
    sender: str = "jobraker@localhost"
    starttls: bool = True
    timeout: float = 20.0


def render(recipient: Recipient, notification: OutgoingNotification, sender: str) -> EmailMessage:
    """The e-mail that carries ``notification`` to ``recipient``."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = recipient.email
    message["Subject"] = notification.title.replace("\n", " ")[:200]
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or "localhost")
    message["X-Jobraker-Kind"] = notification.kind.value
    lines = [notification.body, ""]
    link = notification.data.get("url")
    if link:
        lines += [f"Open: {link}", ""]
    if notification.unsubscribe_url:
        message["List-Unsubscribe"] = f"<{notification.unsubscribe_url}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        lines += ["--", f"Stop these e-mails: {notification.unsubscribe_url}"]
    message.set_content("\n".join(lines))
    return message


class SmtpEmailNotifier:
    """``Notifier`` for the ``email`` channel, over SMTP."""

    channel = Channel.EMAIL

    def __init__(self, config: SmtpConfig) -> None:
        """Send through the server of ``config``."""
        self._config = config

    def deliver(self, recipient: Recipient, notification: OutgoingNotification) -> None:
        """Send one e-mail; see the module docstring for the errors."""
        config = self._config
        message = render(recipient, notification, config.sender)
        try:
            with smtplib.SMTP(config.host, config.port, timeout=config.timeout) as smtp:
                if config.starttls:
                    smtp.starttls(context=ssl.create_default_context())
                if config.user:
                    smtp.login(config.user, config.password or "")
                smtp.send_message(message)
        except smtplib.SMTPRecipientsRefused as error:
            codes = [code for code, _ in error.recipients.values()]
            if codes and all(code >= _PERMANENT for code in codes):
                raise UpstreamRejected(
                    "the mail server refused the recipient", service=SERVICE
                ) from error
            raise UpstreamUnavailable(
                "the mail server deferred the recipient", service=SERVICE
            ) from error
        except smtplib.SMTPResponseException as error:
            if error.smtp_code >= _PERMANENT and not isinstance(
                error, smtplib.SMTPAuthenticationError
            ):
                raise UpstreamRejected(
                    f"the mail server refused the message ({error.smtp_code})", service=SERVICE
                ) from error
            raise UpstreamUnavailable(
                f"the mail server answered {error.smtp_code}", service=SERVICE
            ) from error
        except (smtplib.SMTPException, OSError) as error:
            raise UpstreamUnavailable(
                f"the mail server cannot be reached: {type(error).__name__}", service=SERVICE
            ) from error
