from django.contrib import admin

from .models import (
    BillingAccount,
    ConsultantTime,
    OfferRequest,
    StripeEvent,
    Subscription,
    UsageReport,
)


@admin.register(BillingAccount)
class BillingAccountAdmin(admin.ModelAdmin):
    list_display = ["organisation", "stripe_customer_id", "billing_email", "vat_number"]
    search_fields = ["organisation__name", "stripe_customer_id", "billing_email"]


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin):
    list_display = ["organisation", "plan", "options", "stripe_status", "current_period_end",
                    "past_due_since"]
    list_filter = ["plan", "stripe_status"]


@admin.register(StripeEvent)
class StripeEventAdmin(admin.ModelAdmin):
    list_display = ["event_id", "type", "received_at", "processed_at", "attempts"]
    list_filter = ["type"]
    readonly_fields = ["event_id", "type", "payload", "received_at", "processed_at",
                       "attempts", "last_error"]


@admin.register(ConsultantTime)
class ConsultantTimeAdmin(admin.ModelAdmin):
    list_display = ["worked_on", "consultant", "organisation", "minutes", "billed_at"]
    list_filter = ["organisation"]


@admin.register(UsageReport)
class UsageReportAdmin(admin.ModelAdmin):
    list_display = ["organisation", "day", "active_participants", "billable", "reported_at"]


@admin.register(OfferRequest)
class OfferRequestAdmin(admin.ModelAdmin):
    list_display = ["created_at", "kind", "organisation_name", "name", "email", "plan",
                    "staff_notified_at"]
    list_filter = ["kind"]
    search_fields = ["organisation_name", "name", "email"]
    readonly_fields = ["created_at", "staff_notified_at"]
