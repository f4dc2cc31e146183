"""Django admin for the library. Published versions are read-only here as everywhere (the
database refuses changes); authoring happens in the console, which validates."""

from django.contrib import admin

from .models import ImpactIndicator, Lever, Template, TemplateVersion


@admin.register(Lever)
class LeverAdmin(admin.ModelAdmin):
    list_display = ["code", "name_en", "name_fr", "audiences"]
    search_fields = ["code", "name_en", "name_fr"]


@admin.register(ImpactIndicator)
class ImpactIndicatorAdmin(admin.ModelAdmin):
    list_display = ["code", "label_en", "label_fr", "unit", "sdg"]
    list_filter = ["sdg"]


class VersionInline(admin.TabularInline):
    model = TemplateVersion
    fields = ["number", "status", "title_en", "title_fr", "published_at"]
    readonly_fields = fields  # type: ignore[assignment]  # the stubs type fields more widely
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Template)
class TemplateAdmin(admin.ModelAdmin):
    list_display = ["slug", "created_at"]
    inlines = [VersionInline]


@admin.register(TemplateVersion)
class TemplateVersionAdmin(admin.ModelAdmin):
    list_display = ["template", "number", "status", "audience", "theme", "published_at"]
    list_filter = ["status", "audience", "theme"]
    readonly_fields = ["template", "number", "status", "based_on", "created_at", "created_by",
                       "published_at", "published_by"]

    def has_add_permission(self, request):
        return False  # new versions come from the console (validated), never bare rows

    def has_change_permission(self, request, obj=None):
        return obj is None or not obj.is_published

    def has_delete_permission(self, request, obj=None):
        return obj is None or not obj.is_published
