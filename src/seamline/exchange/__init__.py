"""The exchange: an authenticated, agreement-enforced, audited API over the golden records."""

from seamline.exchange.clients import (
    ClientError,
    ClientInfo,
    add_client,
    list_clients,
    revoke_client,
    rotate_client,
)
from seamline.exchange.service import ExchangeConfig
from seamline.exchange.verify import VerifyResult, export_audit, verify_audit, verify_bundle

__all__ = [
    "ClientError",
    "ClientInfo",
    "ExchangeConfig",
    "VerifyResult",
    "add_client",
    "export_audit",
    "list_clients",
    "revoke_client",
    "rotate_client",
    "verify_audit",
    "verify_bundle",
]
