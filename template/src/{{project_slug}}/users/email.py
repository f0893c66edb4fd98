"""Sending mail. EMAIL_BACKEND=console logs the message; EMAIL_BACKEND=smtp sends it."""

import logging
import smtplib
from email.message import EmailMessage

from ..config import Settings, get_settings

logger = logging.getLogger(__name__)


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

    with smtplib.SMTP(
        settings.smtp_host, settings.smtp_port, timeout=settings.smtp_timeout
    ) as smtp:
        if settings.smtp_starttls:
            smtp.starttls()
        if settings.smtp_username:
            smtp.login(settings.smtp_username, settings.smtp_password.get_secret_value())
        smtp.send_message(message)
    logger.info("Email sent to %s via %s:%s", to, settings.smtp_host, settings.smtp_port)
