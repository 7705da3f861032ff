"""E-mail over SMTP (smtplib): one message per delivery, one recipient per message.

The reply decides what happens next (domain/deliveries.py): 2yz delivered, 4yz tried again
after the back-off, 5yz never (RFC 5321); no connection, a timeout or a dropped session:
tried again. With HAVEN_SMTP_STARTTLS the session is upgraded before anything is sent and
the server's certificate is verified; a server that does not offer STARTTLS then gets
nothing in clear. The Message-ID is the delivery's id: a message sent again after a crash
is recognisably the same one.
"""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from email.utils import format_datetime

from services.notifications.domain.deliveries import Attempt, smtp_attempt
from services.notifications.domain.messages import Notice
from services.notifications.settings import NotificationSettings


def compose(notice: Notice, *, sender: str, to: str, message_id: str,
            sent_at: object) -> EmailMessage:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = sender, to, notice.subject
    message["Message-ID"] = f"<{message_id}@haven.notifications>"
    message["Date"] = format_datetime(sent_at)  # type: ignore[arg-type]
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no auto-replies, please
    message.set_content(notice.body)
    return message


class SmtpSender:
    def __init__(self, options: NotificationSettings):
        self.options = options

    @property
    def enabled(self) -> bool:
        return self.options.smtp_host is not None

    def _tls(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=self.options.smtp_ca_file)

    def send(self, message: EmailMessage) -> Attempt:
        o = self.options
        assert o.smtp_host is not None
        try:
            with smtplib.SMTP(o.smtp_host, o.smtp_port, timeout=o.smtp_timeout) as smtp:
                smtp.ehlo()
                if o.smtp_starttls:
                    smtp.starttls(context=self._tls())
                    smtp.ehlo()
                if o.smtp_user:
                    smtp.login(o.smtp_user, o.smtp_password or "")
                smtp.send_message(message)
        except smtplib.SMTPRecipientsRefused as refused:
            code = next(iter(refused.recipients.values()))[0]
            return smtp_attempt(code, f"smtp {code}")
        except smtplib.SMTPResponseException as answered:
            return smtp_attempt(answered.smtp_code, f"smtp {answered.smtp_code}")
        except smtplib.SMTPNotSupportedError:
            return smtp_attempt(None, "starttls not offered")
        except (OSError, smtplib.SMTPException) as exc:
            # No reply to judge: a connection refused, a timeout, a session cut. The type
            # only: a message may quote the server's greeting or an address.
            return smtp_attempt(None, type(exc).__name__)
        return smtp_attempt(250, "accepted")
