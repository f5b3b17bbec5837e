"""Model rows to the JSON shapes of the contract dataclasses (field names = dataclass fields)."""

from __future__ import annotations

from typing import Any

from tenant_connectors.sandbox.models import (
    Authorization,
    Client,
    ClientPayer,
    Company,
    Payer,
    StatusHistory,
)


def company_ref(company: Company) -> dict[str, str]:
    """``CompanyRef``: the slug is the company id."""
    return {"company_id": company.slug, "name": company.name}


def client_json(client: Client) -> dict[str, Any]:
    """``Client``."""
    return {
        "client_id": str(client.id),
        "first_name": client.first_name,
        "last_name": client.last_name,
        "account_number": client.account_number,
        "active": client.active,
    }


def payer_json(payer: Payer) -> dict[str, Any]:
    """``Payer`` (a directory entry)."""
    return {"payer_id": str(payer.id), "name": payer.name, "payer_type": payer.payer_type, "active": payer.active}


def client_payer_json(cp: ClientPayer, payer_name: str) -> dict[str, Any]:
    """``ClientPayer``."""
    return {
        "client_payer_id": str(cp.id),
        "client_id": str(cp.client_id),
        "payer_id": str(cp.payer_id),
        "payer_name": payer_name,
        "rank": cp.rank,
        "distribution": cp.distribution,
        "amount": cp.amount,
        "week_start_day": cp.week_start_day,
        "pay_start": cp.pay_start.isoformat(),
        "pay_end": cp.pay_end.isoformat() if cp.pay_end else None,
        "status": cp.status,
    }


def status_change_json(row: StatusHistory) -> dict[str, Any]:
    """``StatusChange``."""
    return {
        "old_status": row.old_status,
        "new_status": row.new_status,
        "effective_date": row.effective_date.isoformat(),
        "note": row.note,
        "changed_by": row.changed_by,
        "changed_at": row.changed_at.isoformat(),
    }


def authorization_json(row: Authorization, payer_id: int) -> dict[str, Any]:
    """``Authorization``."""
    return {
        "authorization_id": str(row.id),
        "client_id": str(row.client_id),
        "client_payer_id": str(row.client_payer_id),
        "payer_id": str(payer_id),
        "amount": row.amount,
        "period": row.period,
        "start": row.start.isoformat(),
        "end": row.end.isoformat() if row.end else None,
    }
