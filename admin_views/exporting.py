"""CSV export of the admin screens: formulas neutralised, every export audited before a byte is sent."""

from __future__ import annotations

from typing import Any

from hub.audit import service as audit
from hub.extensions import db

#: characters that make a spreadsheet treat a cell as a formula (OWASP "CSV injection")
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise_cell(value: Any) -> Any:
    """Prefix a text cell a spreadsheet would evaluate with a single quote."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


class AuditedExportMixin:
    """Mix into a Flask-Admin model view (before ``ModelView``) that defines ``audit_hub_id``.

    Which columns are exported stays each screen's explicit ``column_export_list``.
    """

    def get_export_value(self, model: Any, name: Any) -> Any:
        """Export values as text with spreadsheet formulas neutralised."""
        value = super().get_export_value(model, name)  # type: ignore[misc]
        return neutralise_cell(value if value is None or isinstance(value, str) else str(value))

    def _export_data(self) -> tuple[int, list[Any]]:
        # both of Flask-Admin's export paths (CSV stream, tablib) fetch their rows here, before the
        # response starts: the export is audited and committed first — no export without its row
        from admin_views.base import signed_in_user

        count, data = super()._export_data()  # type: ignore[misc]
        endpoint = self.endpoint  # type: ignore[attr-defined]
        audit.record(
            "export.csv",
            actor=signed_in_user(),
            hub_id=self.audit_hub_id(None),  # type: ignore[attr-defined]
            target_type="admin_view",
            target_id=endpoint,
            detail={"view": endpoint, "rows": len(data)},
        )
        db.session.commit()
        return count, data
