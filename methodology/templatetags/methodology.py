from django import template

register = template.Library()


@register.filter
def tr(obj, name: str) -> str:
    """``{{ step|tr:"title" }}``: the field in the active language (see Bilingual.tr)."""
    return obj.tr(name)
