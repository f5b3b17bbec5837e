"""Login, second-step, password-change and two-factor enrolment forms (Flask-WTF, CSRF included)."""

from __future__ import annotations

from flask import current_app
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField, SubmitField
from wtforms.validators import DataRequired, EqualTo, Length, ValidationError

from hub.accounts.passwords import password_problems

#: long enough for any passphrase, short enough that hashing it cannot be used to tie up a worker
MAX_PASSWORD_INPUT = 1024


class LoginForm(FlaskForm):
    """Email and password."""

    email = StringField("Email", validators=[DataRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=MAX_PASSWORD_INPUT)])
    submit = SubmitField("Sign in")


class TotpForm(FlaskForm):
    """The six-digit code of the authenticator app."""

    code = StringField("Authentication code", validators=[DataRequired(), Length(max=10)])
    submit = SubmitField("Verify")


class TotpEnrolForm(FlaskForm):
    """Confirms enrolment with a first code from the newly set-up app."""

    code = StringField("Code from your app", validators=[DataRequired(), Length(max=10)])
    submit = SubmitField("Turn on two-factor")


class PasswordChangeForm(FlaskForm):
    """Current password, new password and its confirmation; the policy speaks next to the field."""

    current_password = PasswordField("Current password",
                                     validators=[DataRequired(), Length(max=MAX_PASSWORD_INPUT)])
    new_password = PasswordField("New password", validators=[DataRequired(), Length(max=MAX_PASSWORD_INPUT)])
    confirm = PasswordField("Repeat the new password",
                            validators=[DataRequired(), EqualTo("new_password", message="The passwords differ.")])
    submit = SubmitField("Change password")

    def validate_new_password(self, field: PasswordField) -> None:
        """Apply the password policy (length, common passwords)."""
        cfg = current_app.config
        problems = password_problems(field.data or "", min_length=cfg["PASSWORD_MIN_LENGTH"],
                                     max_length=cfg["PASSWORD_MAX_LENGTH"])
        if field.data and field.data == self.current_password.data:
            problems.append("Choose a password different from the current one.")
        if problems:
            raise ValidationError(" ".join(problems))
