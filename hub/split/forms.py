"""The invoice form of the split preview (Flask-WTF, CSRF included)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField, StringField, SubmitField
from wtforms.validators import InputRequired, NumberRange, ValidationError

from tenant_connectors.payer_rules import MAX_AMOUNT, parse_decimal
from tenant_connectors.split import InvalidInvoiceError, Invoice

#: more visits than this on one invoice is a typing mistake, not a preview worth computing
MAX_VISITS = 10_000


class SplitForm(FlaskForm):
    """Service dates, number of visits and the invoice total."""

    service_start = DateField("Service start", validators=[InputRequired("Enter the first day of service.")])
    service_end = DateField("Service end", validators=[InputRequired("Enter the last day of service.")])
    visits = IntegerField(
        "Visits",
        default=0,
        validators=[
            InputRequired("Enter the number of visits (0 if none)."),
            NumberRange(min=0, max=MAX_VISITS, message=f"Enter a whole number from 0 to {MAX_VISITS}."),
        ],
    )
    total = StringField("Invoice total", validators=[InputRequired("Enter the invoice total.")])
    submit = SubmitField("Preview split")

    def validate_total(self, field: StringField) -> None:
        """Exact decimal dollars and cents, 0 or more (never parsed through a float)."""
        try:
            amount = parse_decimal(field.data or "")
        except ValueError as exc:
            raise ValidationError("Enter an amount in dollars and cents, such as 1250.00.") from exc
        if amount < 0:
            raise ValidationError("The total must not be negative.")
        if amount >= MAX_AMOUNT:
            raise ValidationError(f"The total must be less than {MAX_AMOUNT:,}.")

    def invoice(self) -> Invoice | None:
        """The validated :class:`Invoice`, or None with the engine's complaint put next to its field."""
        try:
            return Invoice(
                service_start=self.service_start.data,
                service_end=self.service_end.data,
                visits=int(self.visits.data),
                total=parse_decimal(self.total.data or ""),
            )
        except InvalidInvoiceError as exc:
            # the engine is the one authority on what an invoice may be; show its reason at the field
            target = getattr(self, exc.field or "total", self.total)
            target.errors = [*target.errors, _sentence(exc.message)]
            return None


def _sentence(message: str) -> str:
    return message[:1].upper() + message[1:] + ("" if message.endswith(".") else ".")

