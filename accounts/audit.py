import logging

from django.db import models
from django.http import HttpRequest

from accounts.models import AuditEntry, User

logger = logging.getLogger(__name__)


def client_ip(request: HttpRequest | None) -> str | None:
    """The client's address as allauth sees it (X-Forwarded-For behind trusted proxies)."""
    if request is None:
        return None
    from allauth.account.adapter import get_adapter
    from django.core.exceptions import PermissionDenied

    try:
        return get_adapter(request).get_client_ip(request)
    except PermissionDenied:
        return None


def audit_record(
    *,
    actor: User | None,
    action: str,
    iin: str = "",
    obj: models.Model | None = None,
    detail: dict | None = None,
    request: HttpRequest | None = None,
) -> AuditEntry:
    """Write one audit entry; call it in the same transaction as what it records."""
    entry = AuditEntry.objects.create(
        actor=actor,
        action=action,
        iin=iin,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        detail=detail or {},
        ip=client_ip(request),
    )
    logger.info(
        "audit: account %s %s%s", actor.pk if actor else None, action, f" {obj}" if obj else ""
    )
    return entry
