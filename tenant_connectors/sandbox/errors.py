"""The error envelope of the tenant API and the app-wide JSON error handlers."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from flask import Flask, Response, jsonify
from werkzeug.exceptions import HTTPException

_STATUS_CODES = {400: "bad_request", 404: "not_found", 405: "method_not_allowed", 500: "server_error"}


class ApiError(Exception):
    """An error reply: HTTP status, machine code, human message, and field errors for 422."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        fields: Mapping[str, Sequence[str]] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.fields = {k: list(v) for k, v in (fields or {}).items()}


def bad_request(message: str) -> ApiError:
    """400 ``bad_request``."""
    return ApiError(400, "bad_request", message)


def not_found(what: str) -> ApiError:
    """404 ``not_found``."""
    return ApiError(404, "not_found", f"no such {what}")


def validation_failed(fields: Mapping[str, Sequence[str]], message: str = "validation failed") -> ApiError:
    """422 ``validation_failed`` with per-field messages."""
    return ApiError(422, "validation_failed", message, fields)


def error_body(code: str, message: str, fields: Mapping[str, Sequence[str]] | None = None) -> dict[str, Any]:
    """The documented error envelope."""
    error: dict[str, Any] = {"code": code, "message": message}
    if fields:
        error["fields"] = {k: list(v) for k, v in fields.items()}
    return {"error": error}


def error_response(err: ApiError) -> Response:
    """A JSON response for ``err``."""
    response = jsonify(error_body(err.code, err.message, err.fields if err.status == 422 else None))
    response.status_code = err.status
    return response


def register_error_handlers(app: Flask) -> None:
    """Answer every error with the JSON envelope, never an HTML page or a traceback."""

    @app.errorhandler(ApiError)
    def _api_error(err: ApiError) -> Response:
        return error_response(err)

    @app.errorhandler(HTTPException)
    def _http_error(err: HTTPException) -> Response:
        status = err.code or 500
        code = _STATUS_CODES.get(status, "server_error" if status >= 500 else "bad_request")
        response = jsonify(error_body(code, err.description or err.name))
        response.status_code = status
        return response

    @app.errorhandler(Exception)
    def _unexpected(err: Exception) -> Response:
        app.logger.exception("unhandled error in the sandbox tenant")
        response = jsonify(error_body("server_error", "internal server error"))
        response.status_code = 500
        return response
