"""Unexpected errors never reach a user as a traceback: the page shows a Chinese message with an
error id, the server log holds the same id with the traceback.

Mechanism: Streamlit 1.67 calls `ScriptRunContext.on_script_error(exc)` for every uncaught
exception of a script run (and of a fragment run) before its own display, and skips its display
when the handler returns True. `st.App(on_script_error=...)` sets it for the Starlette server
mode; with the classic `streamlit run` (and AppTest) `install()` sets it on the current run's
context from `setup_page`, so no page has to be wrapped. `client.showErrorDetails = "none"` in
.streamlit/config.toml covers anything raised before `setup_page` runs.
"""
from __future__ import annotations

import logging
import uuid
from collections.abc import Callable

import streamlit as st
from streamlit.logger import get_logger
from streamlit.runtime.scriptrunner import get_script_run_ctx

from ui.text import t

LOG: logging.Logger = get_logger("portal.errors")
Handler = Callable[[Exception], "bool | None"]


def new_error_id() -> str:
    """A short random id that the message and the log line share."""
    return uuid.uuid4().hex[:10]


def log_unexpected(error: BaseException, *, where: str = "") -> str:
    """Log `error` with its traceback under a new id (server log only); returns the id."""
    ident = new_error_id()
    LOG.error("unexpected error id=%s where=%s: %s", ident, where or "-", type(error).__name__,
              exc_info=(type(error), error, error.__traceback__))
    return ident


def show_unexpected(error: BaseException, *, where: str = "") -> str:
    """Log `error` and show the Chinese message with its id on the page; returns the id."""
    ident = log_unexpected(error, where=where)
    st.error(t("error.unexpected", id=ident), icon=":material/error:")
    return ident


def _handler(previous: Handler | None, page: str) -> Handler:
    def handle(error: Exception) -> bool:
        if previous is not None:
            try:
                previous(error)   # a deployment's own handler (st.App) still sees every error
            except Exception:     # its failure must not hide the message: log and carry on
                LOG.exception("on_script_error handler of the deployment failed")
        show_unexpected(error, where=page)
        return True
    handle.portal_handler = True  # type: ignore[attr-defined]
    handle.previous = previous    # type: ignore[attr-defined]
    return handle


def install(page: str) -> None:
    """Route every uncaught exception of this script run to `show_unexpected` (idempotent)."""
    ctx = get_script_run_ctx()
    if ctx is None:
        return
    current = ctx.on_script_error
    previous = getattr(current, "previous", None) if getattr(current, "portal_handler", False) else current
    ctx.on_script_error = _handler(previous, page)
