from django.apps import AppConfig


class MethodologyConfig(AppConfig):
    name = "methodology"
