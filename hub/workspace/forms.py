"""Flask-WTF forms of the workspace (CSRF on every one); payer rules are checked in
:mod:`hub.workspace.payers`, these only parse what the agent typed."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    HiddenField,
    PasswordField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional, Regexp, ValidationError

from tenant_connectors.base import Distribution, PayerRank, PayerStatus
from tenant_connectors.payer_rules import parse_decimal


def choices(pairs: Iterable[tuple[object, str]]) -> list[SelectChoice]:
    """Select options from (value, label) pairs."""
    return [SelectChoice(str(value), label) for value, label in pairs]


RANK_CHOICES = choices((r.value, r.label) for r in PayerRank)
DISTRIBUTION_CHOICES = choices((d.value, d.label) for d in Distribution)
#: the old Remainder payer's new distribution (Weekly would need a week start day the move cannot carry)
NON_REMAINDER_CHOICES = choices((d.value, d.label) for d in Distribution
                                if d not in (Distribution.REMAINDER, Distribution.WEEKLY))
WEEKDAY_CHOICES = choices([("", "-"), *enumerate(
    ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"))])
STATUS_CHOICES = choices((s.value, s.value.title()) for s in PayerStatus)


class ActionForm(FlaskForm):
    """A button-only form (enter, leave): the CSRF token is all it carries."""


class SecondaryForm(FlaskForm):
    """The agent's own Restricted credentials, asked for by the tenant's secondary login."""

    username = StringField("Restricted User ID", validators=[DataRequired(), Length(max=100)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=256)])
    totp_code = StringField("Two-factor code", validators=[Optional(), Regexp(r"^\d{6,8}$", message="6 to 8 digits")],
                            render_kw={"autocomplete": "one-time-code", "inputmode": "numeric"})


class SwitchForm(FlaskForm):
    """The banner's tenant switcher (the view checks the agent may enter the chosen tenant)."""

    # the banner lists only the open sessions; entering any other granted tenant is allowed too
    tenant_id = SelectField("Switch to", coerce=int, validators=[InputRequired()], validate_choice=False)


def _amount(form: Any, field: Any) -> None:
    text = (field.data or "").strip()
    if not text:
        field.parsed = None
        return
    try:
        field.parsed = parse_decimal(text)
    except ValueError as exc:
        raise ValidationError(str(exc)) from None


class AmountField(StringField):
    """A money / percent amount typed as text and parsed to an exact Decimal (``parsed``)."""

    parsed: Decimal | None = None

    def __init__(self, label: str = "Amount", **kwargs: Any) -> None:
        super().__init__(label, validators=[Optional(strip_whitespace=False), Length(max=20), _amount], **kwargs)


class PayerTermsForm(FlaskForm):
    """Rank, distribution, amount, week start day and dates of a client payer."""

    rank = SelectField("Rank", choices=RANK_CHOICES, validators=[InputRequired()])
    distribution = SelectField("Distribution", choices=DISTRIBUTION_CHOICES, validators=[InputRequired()])
    amount = AmountField()
    week_start_day = SelectField("Week start day (Weekly)", choices=WEEKDAY_CHOICES, validators=[Optional()])
    pay_start = DateField("Pay start", validators=[InputRequired()])
    pay_end = DateField("Pay end", validators=[Optional()])

    @property
    def week_start(self) -> int | None:
        """The week start day as 0..6 or None."""
        return int(self.week_start_day.data) if self.week_start_day.data not in (None, "") else None


class NewPayerForm(PayerTermsForm):
    """Attach a directory payer to a client; ``confirm`` is set by the rank push-down preview."""

    payer = SelectField("Payer", validators=[InputRequired()])
    confirm = HiddenField(default="")


class StatusForm(FlaskForm):
    """Move a client payer to another status (leaving Active needs a note)."""

    status = SelectField("New status", choices=STATUS_CHOICES, validators=[InputRequired()])
    effective_date = DateField("Effective date", validators=[InputRequired()])
    note = TextAreaField("Note", validators=[Length(max=500)])


class RemainderForm(FlaskForm):
    """Make a payer the Remainder payer; what becomes of the current Remainder payer."""

    previous_action = RadioField("The current Remainder payer", choices=choices([
        ("inactive", "make it Inactive"), ("change", "keep it, with another distribution")]),
        default="inactive", validators=[InputRequired()])
    previous_distribution = SelectField("Its new distribution", choices=[SelectChoice("", "-"), *NON_REMAINDER_CHOICES],
                                        validators=[Optional()])
    previous_amount = AmountField("Its new amount")
    note = TextAreaField("Note", validators=[DataRequired(message="A note is required."), Length(max=500)])
    effective_date = DateField("Effective date", validators=[InputRequired()])
