"""Form building blocks of the admin screens: the CSRF-carrying base form and scoped fields.

Flask-Admin's own :class:`~flask_admin.form.SecureForm` signs its token with WTForms' ``SessionCSRF``,
a format the app's global :class:`~flask_wtf.csrf.CSRFProtect` does not accept, so every admin POST
would be refused (or the admin blueprint would have to be exempted).  :class:`AdminForm` keeps
SecureForm but swaps the token for Flask-WTF's: one token, checked twice — by ``CSRFProtect`` before
any view runs and again by the form (create, edit, delete, list actions and x-editable inline edits
all build their form from this class).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from flask_admin.contrib.sqla.fields import QuerySelectField, QuerySelectMultipleField
from flask_admin.form import SecureForm
from flask_wtf.csrf import generate_csrf, validate_csrf
from wtforms import Field, Form, ValidationError, validators
from wtforms.csrf.core import CSRF
from wtforms.fields.choices import Choice

#: shown when a token is missing, expired or forged (never the token itself)
CSRF_FAILED = "The form has expired or was not sent from this site. Reload the page and try again."


class _SharedCSRF(CSRF):
    """WTForms CSRF implementation backed by Flask-WTF's session-bound, signed token."""

    def generate_csrf_token(self, csrf_token_field: Field) -> str:
        return generate_csrf()

    def validate_csrf_token(self, form: Form, field: Field) -> None:
        try:
            validate_csrf(field.data)
        except ValidationError:
            # Flask-WTF's reasons ("token missing", "expired", ...) are fine, but one message is enough
            raise ValidationError(CSRF_FAILED) from None


class AdminForm(SecureForm):
    """Base class of every admin form: always carries and checks the CSRF token."""

    class Meta(SecureForm.Meta):
        csrf = True
        csrf_class = _SharedCSRF


def normalise_email(value: Any) -> Any:
    """Strip and lower-case an e-mail address (logins are stored lower-case)."""
    return value.strip().lower() if isinstance(value, str) else value


def strip_text(value: Any) -> Any:
    """Strip surrounding white space from text input."""
    return value.strip() if isinstance(value, str) else value


def account_form_args() -> dict[str, dict[str, Any]]:
    """``form_args`` of an account's e-mail and name fields (staff, hub admins).

    Fresh dicts for each view: Flask-Admin appends to a field's ``filters`` list in place.
    """
    return {
        "email": {"filters": [normalise_email],
                  "validators": [validators.InputRequired(), validators.Regexp(r"^[^@\s]+@[^@\s]+$")]},
        "display_name": {"label": "Name", "filters": [strip_text],
                         "validators": [validators.InputRequired(), validators.Length(max=200)]},
    }


def _as_choice(option: Any) -> Choice:
    if isinstance(option, Choice):
        return option
    value, label, selected, *rest = option
    return Choice(value, label, selected, rest[0] if rest else {})


class ScopedSelectField(QuerySelectField):
    """Flask-Admin's query select (choices come from a per-request, hub-scoped ``query_factory``).

    Options are yielded as WTForms ``Choice`` objects: Flask-Admin 2.2 still yields raw tuples,
    which WTForms 3.3 deprecates (and the test suite turns warnings into errors).
    """

    def iter_choices(self) -> Iterator[Choice]:  # type: ignore[override]
        for option in super().iter_choices():
            yield _as_choice(option)

    def pre_validate(self, form: Form) -> None:
        """An id outside the scoped choices is an error, not a silent blank (Flask-Admin's reading)."""
        if self.data is None and self._formdata is not None:
            raise ValidationError("Not a valid choice.")
        super().pre_validate(form)


class ScopedMultiSelectField(QuerySelectMultipleField):
    """Multiple-choice variant of :class:`ScopedSelectField`."""

    def iter_choices(self) -> Iterator[Choice]:  # type: ignore[override]
        for option in super().iter_choices():
            yield _as_choice(option)

    def pre_validate(self, form: Form) -> None:
        """Refuse ids outside the scoped choices.

        Flask-Admin only notices unknown ids while resolving ``data``, which its own pre_validate
        does after checking for them, so they were silently dropped.
        """
        self.data  # noqa: B018 - resolves the posted ids and flags unknown ones
        super().pre_validate(form)


class ForeignKeySelectField(ScopedSelectField):
    """A scoped select that writes the chosen object's id to ``<attribute>`` (no relationship needed).

    Used where the model has a foreign key column but no relationship to populate (``User.tenant_id``).
    """

    def __init__(self, *args: Any, attribute_id: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.attribute_id = attribute_id

    def populate_obj(self, obj: Any, name: str) -> None:
        setattr(obj, self.attribute_id, None if self.data is None else self.data.id)
