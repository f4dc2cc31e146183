"""Django's request lines quote the path, and paths hold signed links: the console handler
scrubs them in every log format (config/ops/scrub.ScrubFilter)."""

import copy
import logging
import logging.config

from django.conf import settings
from django.core import signing

from config.ops.scrub import FILTERED


def _configured_to_stdout() -> dict:
    config = copy.deepcopy(settings.LOGGING)
    config["handlers"]["console"]["stream"] = "ext://sys.stdout"
    return config


def test_a_not_found_line_never_writes_the_signed_link_it_quotes(capsys):
    token = signing.dumps({"participant": 12, "campaign": 3})
    path = f"/me/{token}/"
    logging.config.dictConfig(_configured_to_stdout())
    try:
        logging.getLogger("django.request").warning("Not Found: %s", path)
        logging.getLogger("django.security.DisallowedHost").error(
            "Invalid HTTP_HOST header: ana@example.test")
        logging.getLogger("fullmobs.other").warning("kept as written: %s", "ref-1234")
    finally:
        logging.config.dictConfig(settings.LOGGING)
    written = capsys.readouterr().out
    assert "Not Found: /me/" in written and FILTERED in written
    assert token not in written and token.split(":")[-1] not in written
    assert "ana@example.test" not in written
    assert "kept as written: ref-1234" in written


def test_the_console_handler_carries_the_scrub_filter():
    assert "scrub" in settings.LOGGING["handlers"]["console"]["filters"]


def _raised() -> tuple:
    try:
        raise ValueError('duplicate key: Key (lower(email))=(ana@example.test) exists')
    except ValueError:
        import sys

        return sys.exc_info()


def test_a_traceback_is_written_without_the_address_it_quotes():
    from config.ops.logs import JsonFormatter
    from config.ops.scrub import ScrubFilter

    for formatter in (logging.Formatter(), JsonFormatter()):
        record = logging.LogRecord("engagement.services.bulk_jobs", logging.ERROR, __file__,
                                   1, "the import failed", (), _raised())
        ScrubFilter().filter(record)
        written = formatter.format(record)
        assert "ValueError" in written and "the import failed" in written
        assert "ana@example.test" not in written, type(formatter).__name__
