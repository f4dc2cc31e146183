"""The one exception a service raises to refuse a request."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """A refused request, with the offending fields: ``{field: [message, ...]}``."""

    def __init__(self, errors: dict[str, list[str]]):
        self.errors = errors
        super().__init__("; ".join(f"{k}: {' '.join(str(m) for m in v)}"
                                   for k, v in errors.items()))

    def add_to_form(self, form: Any, field_map: dict[str, str] | None = None) -> None:
        """Show the messages next to the form's fields (``field_map`` renames service
        fields to form fields); messages about other fields go on top of the form."""
        for field, messages in self.errors.items():
            target = (field_map or {}).get(field, field)
            for message in messages:
                form.add_error(target if target in form.fields else None, message)

    @property
    def text(self) -> str:
        """All the messages, for a page's flash message."""
        return " ".join(str(message) for messages in self.errors.values()
                        for message in messages)
