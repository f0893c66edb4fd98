"""Sending mail. EMAIL_BACKEND=console logs the message; EMAIL_BACKEND=smtp sends it."""

import logging
import smtplib
from email.message import EmailMessage

from ..config import Settings, get_settings

logger = logging.getLogger(__name__)


class EmailDeferred(Exception):
    """The mail server could not take the message now (unreachable, slow, or a 4xx answer):
    tasks retry on it. Other errors (a recipient refused for good, a bad login) are final."""


# The retries of every task that sends an email: `@shared_task(**RETRIES)`. Read when the tasks
# are defined (they are the decorator's arguments).
RETRIES = {
    "autoretry_for": (EmailDeferred,),
    "retry_backoff": True,
    "retry_backoff_max": get_settings().email_retry_max_seconds,
    "retry_jitter": True,
    "max_retries": get_settings().email_max_retries,
}


def send_email(to: str, subject: str, body: str, settings: Settings | None = None) -> None:
    settings = settings or get_settings()
    message = EmailMessage()
    message["From"] = settings.email_from
    message["To"] = to
    message["Subject"] = subject
    message.set_content(body)

    if settings.email_backend == "console":
        logger.info("Email (console backend, not sent):\n%s", message.as_string())
        return

    try:
        with smtplib.SMTP(
            settings.smtp_host, settings.smtp_port, timeout=settings.smtp_timeout
        ) as smtp:
            if settings.smtp_starttls:
                smtp.starttls()
            if settings.smtp_username:
                smtp.login(settings.smtp_username, settings.smtp_password.get_secret_value())
            smtp.send_message(message)
    except smtplib.SMTPRecipientsRefused as exc:
        if all(400 <= code < 500 for code, _ in exc.recipients.values()):
            raise EmailDeferred(f"recipient deferred: {_answers(exc.recipients)}") from exc
        raise
    except smtplib.SMTPResponseException as exc:
        if 400 <= exc.smtp_code < 500:
            raise EmailDeferred(f"mail server answered {exc.smtp_code}") from exc
        raise
    except smtplib.SMTPServerDisconnected as exc:
        raise EmailDeferred("mail server closed the connection") from exc
    except smtplib.SMTPException:  # an OSError too, but no network failure: final
        raise
    except OSError as exc:  # refused, unreachable, timed out (TimeoutError is an OSError)
        raise EmailDeferred(f"mail server unreachable: {type(exc).__name__}") from exc
    logger.info("Email sent to %s via the mail server", to)


def _answers(refused: dict[str, tuple[int, bytes]]) -> str:
    return ", ".join(str(code) for code, _ in refused.values())
