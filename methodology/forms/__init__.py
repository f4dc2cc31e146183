"""The structured editor of a template version, and plain-words YAML errors.

The editor's inputs are named after the document paths the validator reports
(``phases[1].steps[0].title.fr``), so the form builds the document itself (no YAML, so a
sentence with a colon is just text) and every problem lands next to its own input.
Adding, removing and moving phases, steps, levers, indicators and questions are buttons
that send the form back with an ``op`` (``add:phases[0].steps``, ``up:levers[2]``…): the
page is re-drawn with the change, nothing is saved until "Save draft".

One module per concern; import them from here.
"""

from .editor import Block, Editor, Field, Pair, build_editor, field_id
from .paths import describe_path, path_parts, path_resolve
from .posted import ROOT_FIELDS, apply_operation, document_from_post, fill_keys, start_document
from .yaml_errors import explain_yaml_error, yaml_path_at

__all__ = [
    "ROOT_FIELDS", "Block", "Editor", "Field", "Pair", "apply_operation", "build_editor",
    "describe_path", "document_from_post", "explain_yaml_error", "field_id", "fill_keys",
    "path_parts", "path_resolve", "start_document", "yaml_path_at",
]
