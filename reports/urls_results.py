"""A campaign's public results, beside its page (``/c/<code>/``, open to anyone)."""

from django.urls import path

from . import views_results

urlpatterns = [
    path("c/<slug:code>/results/", views_results.campaign_results_page,
         name="campaign_results"),
    path("c/<slug:code>/results.png", views_results.campaign_result_card,
         name="campaign_result_card"),
]
