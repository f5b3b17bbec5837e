"""The one secure base class of every admin screen: deny by default, hub-scoped, audited.

* :attr:`SecureModelView.allowed_roles` is empty unless a screen opens itself to a role; the check
  runs before every exposed endpoint (lists, forms, details, delete, actions, inline edits, export).
* Every query goes through :meth:`SecureModelView.scope` — ``get_query``, ``get_count_query`` and
  ``get_one`` — so an id guessed from another hub is a 404, never data.
* ``on_model_change`` / ``on_model_delete`` run *before* Flask-Admin's ``session.commit()``: that is
  where the hub id is forced from the signed-in user and the audit row is appended, so the change and
  its audit row commit together and a failed audit write rolls the change back.
* Error messages are generic: Flask-Admin would flash ``str(exception)``, and a database error's text
  carries the statement's parameters.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from flask import abort, current_app, flash, request
from flask_admin import expose
from flask_admin.actions import action
from flask_admin.contrib.sqla import ModelView
from flask_login import current_user
from sqlalchemy import false, inspect
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql.elements import ColumnElement
from werkzeug.exceptions import HTTPException
from wtforms import Form, ValidationError

from admin_views.exporting import AuditedExportMixin
from admin_views.forms import AdminForm
from hub.accounts.models import Hub, User
from hub.audit import service as audit
from hub.dbtypes import MAX_ID
from hub.extensions import db
from hub.tenants.scope import NotAllowed, ScopeError
from hub.tenants.scope import ValidationError as ServiceValidationError

log = logging.getLogger(__name__)

def signed_in_user() -> User | None:
    """The signed-in account, or None (the real object, not Flask-Login's proxy)."""
    if not current_user or not current_user.is_authenticated:
        return None
    return current_user._get_current_object()  # type: ignore[no-any-return]


def role_allowed(roles: Iterable[str]) -> bool:
    """Whether someone is signed in, active, and holds one of ``roles``."""
    user = signed_in_user()
    return user is not None and bool(user.is_active) and str(user.role) in set(roles)


def deny(name: str | None = None) -> Any:
    """Anonymous → the login page (Flask-Login's own redirect); signed in with the wrong role → 403."""
    if signed_in_user() is None:
        return current_app.login_manager.unauthorized()  # type: ignore[attr-defined]
    abort(403)


def the_current_hub() -> Hub | None:
    """The signed-in user's hub (auth's :func:`hub.auth.current.current_hub`)."""
    from hub.auth.current import current_hub

    return current_hub()


def changed_attributes(model: Any) -> list[str]:
    """Names (never values) of the mapped attributes that differ from what was loaded."""
    state = inspect(model)
    return sorted(attr.key for attr in state.attrs if attr.history.has_changes())


class SecureModelView(AuditedExportMixin, ModelView):
    """A Flask-Admin model view that refuses everyone a subclass does not name, scoped to one hub."""

    #: roles that may open the screen; empty means nobody (deny by default)
    allowed_roles: frozenset[str] = frozenset()
    #: audit noun, e.g. ``tenant`` gives ``tenant.created`` / ``tenant.updated`` / ``tenant.deleted``
    audit_noun: str = ""
    #: whether the screen works on one hub's data (all but support's hub list)
    needs_hub: bool = True

    form_base_class = AdminForm
    can_view_details = True
    can_export = False
    export_types = ["csv"]
    can_set_page_size = False
    page_size = 50
    column_display_pk = False
    # lookups by relationship would list every hub's rows; scoped selects are declared per view
    column_auto_select_related = True

    # -- who may open it -------------------------------------------------------------------------
    def is_accessible(self) -> bool:
        """Signed in, active, and one of :attr:`allowed_roles`."""
        return role_allowed(self.allowed_roles)

    def inaccessible_callback(self, name: str, **kwargs: Any) -> Any:
        """Login redirect for anonymous visitors, 403 for a signed-in user with the wrong role."""
        return deny(name)

    def _handle_view(self, name: str, **kwargs: Any) -> Any:
        """Refuse a return address with control characters: Flask-Admin's own check lets a newline
        through to the redirect, where werkzeug refuses the header with an error (a 500)."""
        target = request.values.get("url", "")
        if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in target):
            return "The return address (url) holds control characters.", 400
        return super()._handle_view(name, **kwargs)

    # -- what it may see -------------------------------------------------------------------------
    def hub_criterion(self, hub: Hub) -> ColumnElement[bool]:
        """Rows of ``hub`` (override where the model reaches its hub through a tenant)."""
        return self.model.hub_id == hub.id  # type: ignore[no-any-return]

    def scope(self, query: Any) -> Any:
        """Filter ``query`` to the current hub; nothing at all without one."""
        hub = the_current_hub()
        if hub is None:
            return query.filter(false())
        return query.filter(self.hub_criterion(hub))

    def get_query(self) -> Any:
        """List query, scoped."""
        return self.scope(super().get_query())

    def get_count_query(self) -> Any:
        """Count query, scoped (or the pager would reveal other hubs' row counts)."""
        return self.scope(super().get_count_query())

    def row_id(self, value: Any) -> int:
        """``value`` as a key of this model, or 404: not a number, or out of the column's range (which
        PostgreSQL would refuse with an error, a 500, instead of finding nothing)."""
        try:
            pk = int(str(value))
        except ValueError:
            abort(404)
        if not 0 < pk <= MAX_ID:  # every model with an admin screen has an INTEGER key
            abort(404)
        return pk

    def get_one(self, id: Any) -> Any:
        """One row of the current hub, or 404 (also for ids that are not numbers)."""
        pk = self.row_id(id)
        found = self.get_query().filter(self.model.id == pk).one_or_none()
        if found is None:
            abort(404)
        return found

    def scoped_by_ids(self, ids: Iterable[str]) -> list[Any]:
        """The rows named by a list action, all of the current hub, else 404 (no partial action)."""
        wanted = {self.row_id(i) for i in ids}
        rows = self.get_query().filter(self.model.id.in_(wanted)).all() if wanted else []
        if len(rows) != len(wanted):
            abort(404)
        return rows

    @expose("/ajax/update/", methods=("POST",))
    def ajax_update(self) -> Any:
        """Inline list edit; without a row key Flask-Admin's own version fails with a 500, so 400 here."""
        if self.column_editable_list and not (request.form.get("list_form_pk") or "").strip():
            return "Choose the row to change.", 400
        return super().ajax_update()

    # -- what it may write -----------------------------------------------------------------------
    def enforce_scope(self, form: Form, model: Any, hub: Hub, is_created: bool) -> None:
        """Force ownership from the signed-in user and check cross-field rules (raise ValidationError)."""
        if hasattr(model, "hub_id"):
            model.hub_id = hub.id

    def audit_hub_id(self, model: Any) -> int | None:
        """The hub whose chain records changes of ``model``."""
        hub = the_current_hub()
        return None if hub is None else hub.id

    def audit_tenant_id(self, model: Any) -> int | None:
        """The tenant a change concerns, if any."""
        return getattr(model, "tenant_id", None)

    def audit(self, action_name: str, model: Any, **detail: Any) -> None:
        """Append an audit event for ``model`` to the current transaction."""
        audit.record(
            action_name,
            actor=signed_in_user(),
            hub_id=self.audit_hub_id(model),
            tenant_id=self.audit_tenant_id(model),
            target_type=self.audit_noun,
            target_id=getattr(model, "id", None),
            detail=detail,
        )

    def on_model_change(self, form: Form, model: Any, is_created: bool) -> None:
        """Scope, then audit in the same transaction (the commit follows in :meth:`create_model`)."""
        hub = the_current_hub()
        if hub is None and self.needs_hub:
            raise ValidationError("Your account belongs to no hub.")
        if hub is not None:
            self.enforce_scope(form, model, hub, is_created)
        fields = changed_attributes(model)
        db.session.flush()  # assigns the id of a new row, and surfaces constraint errors here
        verb = "created" if is_created else "updated"
        self.audit(f"{self.audit_noun}.{verb}", model, fields=fields)

    def on_model_delete(self, model: Any) -> None:
        """Audit the deletion before it is flushed and committed."""
        self.audit(f"{self.audit_noun}.deleted", model)

    # The three write paths. Flask-Admin's own versions commit after on_model_change (fine) but
    # flash str(exception) on failure; these keep the same order (change, audit, one commit) and
    # let a screen route the change through its domain service instead (apply_*).
    def apply_create(self, form: Form) -> Any:
        """Build, scope and audit a new row (screens backed by a service override this)."""
        model = self.build_new_instance()
        form.populate_obj(model)
        db.session.add(model)
        self.on_model_change(form, model, True)
        return model

    def apply_update(self, form: Form, model: Any) -> None:
        """Apply the form to ``model``, scope and audit it."""
        form.populate_obj(model)
        self.on_model_change(form, model, False)

    def apply_delete(self, model: Any) -> None:
        """Audit and delete ``model``."""
        self.on_model_delete(model)
        db.session.delete(model)
        db.session.flush()

    def in_transaction(self, change: Any, form: Form | None) -> bool:
        """Run ``change`` and commit it with its audit rows; on any refusal roll back and say why."""
        try:
            change()
            db.session.commit()
        except Exception as exc:
            db.session.rollback()
            self.refused(exc, form)
            return False
        return True

    def create_model(self, form: Form) -> Any:
        """Create in one transaction with its audit row; False (and errors shown) on refusal."""
        created: list[Any] = []
        if not self.in_transaction(lambda: created.append(self.apply_create(form)), form):
            return False
        self.after_model_change(form, created[0], True)
        return created[0]

    def update_model(self, form: Form, model: Any) -> bool:
        """Update in one transaction with its audit row."""
        if not self.in_transaction(lambda: self.apply_update(form, model), form):
            return False
        self.after_model_change(form, model, False)
        return True

    def delete_model(self, model: Any) -> bool:
        """Delete in one transaction with its audit row."""
        if not self.in_transaction(lambda: self.apply_delete(model), None):
            return False
        self.after_model_delete(model)
        return True

    def refused(self, exc: Exception, form: Form | None) -> None:
        """Tell the user why nothing changed, next to the field where possible; re-raise HTTP errors."""
        if isinstance(exc, HTTPException):
            raise exc
        if isinstance(exc, ScopeError):
            abort(404)
        if isinstance(exc, NotAllowed):
            abort(403)
        if isinstance(exc, ServiceValidationError):
            self.show_problems(form, exc.errors)
            return
        self.handle_view_exception(exc)

    def show_problems(self, form: Form | None, problems: Mapping[str, str | Sequence[str]]) -> None:
        """A service's problems (field name -> message or messages) next to their fields; flashed when
        the form has no such field."""
        for name, found in problems.items():
            messages = [found] if isinstance(found, str) else list(found)
            field = None if form is None else getattr(form, name, None)
            if field is not None and hasattr(field, "errors"):
                field.errors = [*field.errors, *messages]
            else:
                flash(" ".join(messages), "error")

    def handle_view_exception(self, exc: Exception) -> bool:
        """Flash a message that cannot carry data: our own validation text or a generic one."""
        if isinstance(exc, ValidationError):
            flash(str(exc), "error")
        elif isinstance(exc, IntegrityError):
            flash("The change conflicts with an existing record (names must be unique).", "error")
        else:
            flash("The change could not be saved; nothing was changed.", "error")
        # the type only: database errors' text holds the statement's parameters
        log.warning("admin %s: change refused (%s)", self.endpoint, type(exc).__name__)
        return True

    @action("delete", "Delete", "Delete the selected records?")
    def action_delete(self, ids: list[str]) -> None:
        """Delete the selected rows one by one through :meth:`delete_model` (each audited)."""
        count = sum(1 for row in self.scoped_by_ids(ids) if self.delete_model(row))
        flash(f"{count} record(s) deleted.", "success")
