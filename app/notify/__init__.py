"""Outgoing messages (e-mail and Slack): queued once by key, delivered by the worker, retried until they arrive."""

from app.notify.channels import DeliveryError, FolderMail, MailSender, NoMail, Senders, SmtpMail, mail_sender
from app.notify.outbox import CHANNELS, MAX_ATTEMPTS, deliver_due, enqueue

__all__ = [
    "CHANNELS",
    "MAX_ATTEMPTS",
    "DeliveryError",
    "FolderMail",
    "MailSender",
    "NoMail",
    "Senders",
    "SmtpMail",
    "deliver_due",
    "enqueue",
    "mail_sender",
]
