from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django_tenants.admin import TenantAdminMixin

from .models import (
    ConsultantAccess,
    ConsultantAssignment,
    Domain,
    Invitation,
    Membership,
    Organisation,
    User,
)


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ["email"]
    list_display = ["email", "full_name", "is_consultant", "is_staff", "is_active"]
    list_filter = ["is_consultant", "is_staff", "is_active"]
    search_fields = ["email", "full_name"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        ("Profile", {"fields": ["full_name", "preferred_language", "is_consultant"]}),
        ("Permissions", {"fields": ["is_active", "is_staff", "is_superuser", "groups",
                                    "user_permissions"]}),
        ("Dates", {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["email", "password1", "password2"]})]


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    raw_id_fields = ["user"]


class AssignmentInline(admin.TabularInline):
    model = ConsultantAssignment
    extra = 0
    raw_id_fields = ["consultant"]


@admin.register(Organisation)
class OrganisationAdmin(TenantAdminMixin, admin.ModelAdmin):
    list_display = ["name", "slug", "kind", "status", "locale", "created_at"]
    list_filter = ["kind", "status", "locale"]
    search_fields = ["name", "slug"]
    readonly_fields = ["slug", "schema_name", "created_at"]
    inlines = [MembershipInline, AssignmentInline]

    def get_queryset(self, request):
        return super().get_queryset(request).clients()

    def has_add_permission(self, request):
        # New organisations are provisioned (schema clone + owner), never bare rows.
        return False


@admin.register(Domain)
class DomainAdmin(admin.ModelAdmin):
    list_display = ["domain", "tenant", "is_primary"]


@admin.register(ConsultantAccess)
class ConsultantAccessAdmin(admin.ModelAdmin):
    list_display = ["entered_at", "consultant", "organisation", "path", "ip_address"]
    list_filter = ["organisation"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ["email", "organisation", "role", "created_at", "expires_at", "accepted_at"]
    exclude = ["token_hash"]
