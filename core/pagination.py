"""The API lists' pages: a page number is digits or absent, never empty."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request


class StrictPageNumberPagination(PageNumberPagination):
    """``?page=`` (empty) or ``?page=two`` is refused with 400 naming the parameter, like
    every other query parameter outside the schema; a number past the last page is
    DRF's 404."""

    def get_page_number(self, request: Request, paginator: Any) -> Any:
        value = request.query_params.get(self.page_query_param)
        if value is not None and value not in self.last_page_strings and not (
                value.isascii() and value.isdigit()):
            raise ValidationError({self.page_query_param: [_("Enter a whole number.")]})
        return super().get_page_number(request, paginator)
